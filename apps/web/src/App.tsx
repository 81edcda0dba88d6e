import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect } from "react";
import { useAuth } from "./auth/auth-context.js";
import { navigate, useLocation } from "./router.js";
import { SignIn } from "./screens/SignIn.js";
import { ShortcutsProvider } from "./ui/shortcuts.js";

// Everything behind the sign-in is its own chunk (and the session view another inside it), so the
// sign-in page loads only what it needs.
const SignedInApp = lazy(() => import("./SignedInApp.js"));

export function App() {
  const { state } = useAuth();
  const { path } = useLocation();
  const queryClient = useQueryClient();

  useEffect(() => {
    // Nothing of one person's data outlives their sign-in in this tab.
    if (state.status === "signed_out") queryClient.clear();
  }, [state.status, queryClient]);

  useEffect(() => {
    if (state.status === "signed_out" && path !== "/signin") {
      const back = path === "/" ? "" : `?next=${encodeURIComponent(path + window.location.search)}`;
      navigate(`/signin${back}`, { replace: true });
    }
  }, [state.status, path]);

  return (
    <ShortcutsProvider>
      {state.status === "checking" ? (
        <Splash text="Signing in…" />
      ) : state.status === "signed_out" ? (
        <SignIn {...(state.message ? { notice: state.message } : {})} />
      ) : (
        <Suspense fallback={<Splash text="Loading…" />}>
          <SignedInApp />
        </Suspense>
      )}
    </ShortcutsProvider>
  );
}

function Splash({ text }: { text: string }) {
  return (
    <main className="splash" aria-busy="true">
      <h1 className="brand">mcpdeck</h1>
      <p role="status">{text}</p>
    </main>
  );
}
