import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from "react";
import { navigate } from "../router.js";
import { SHORTCUT_CATALOGUE } from "./shortcut-catalogue.js";

const ShortcutsContext = createContext<{ showHelp(): void }>({ showHelp: () => undefined });

/** Names of keys that are not characters, as `KeyboardEvent.key` has them. */
export const KEY = { up: "ArrowUp", down: "ArrowDown", delete: "Delete" } as const;

/** Typing into a field is never a shortcut. */
function isEditing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName);
}

/**
 * Binds keys while the calling component is mounted: `"a"`, `"A"` (with Shift), `"Delete"`,
 * `"ArrowUp"`. Keys typed into a field, or with Ctrl/Alt/Meta, are left alone.
 */
export function useKeys(bindings: Record<string, (event: KeyboardEvent) => void>, enabled = true) {
  const current = useRef(bindings);
  current.current = bindings;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return;
      if (isEditing(event.target)) return;
      if (document.querySelector("dialog[open]") && !(event.target as Element | null)?.closest?.("dialog"))
        return;
      const run = current.current[event.key];
      if (run) {
        event.preventDefault();
        run(event);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [enabled]);
}

export function useShortcutHelp() {
  return useContext(ShortcutsContext);
}

/** `?` opens the list of shortcuts; `g s` / `g p` go to servers / profile. */
export function ShortcutsProvider({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const pendingG = useRef(0);
  useKeys({
    "?": () => setOpen(true),
    g: () => {
      pendingG.current = Date.now();
    },
    s: () => {
      if (Date.now() - pendingG.current < 1500) navigate("/servers");
    },
    p: () => {
      if (Date.now() - pendingG.current < 1500) navigate("/profile");
    },
  });
  return (
    <ShortcutsContext.Provider value={{ showHelp: () => setOpen(true) }}>
      {children}
      {open ? <ShortcutsDialog onClose={() => setOpen(false)} /> : null}
    </ShortcutsContext.Provider>
  );
}

function ShortcutsDialog({ onClose }: { onClose(): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog ref={ref} className="dialog shortcuts" aria-labelledby="shortcuts-title" onClose={onClose}>
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <ShortcutList />
      <div className="actions">
        <button type="button" onClick={onClose}>
          Close <kbd>Esc</kbd>
        </button>
      </div>
    </dialog>
  );
}

export function ShortcutList() {
  return (
    <div className="shortcut-groups">
      {SHORTCUT_CATALOGUE.map((group) => (
        <section key={group.group} aria-label={group.group}>
          <h3>{group.group}</h3>
          <dl>
            {group.keys.map(([keys, what]) => (
              <div key={keys} className="shortcut">
                <dt>
                  <kbd>{keys}</kbd>
                </dt>
                <dd>{what}</dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
    </div>
  );
}
