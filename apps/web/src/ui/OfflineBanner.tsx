import { useSyncExternalStore } from "react";

function subscribe(listener: () => void) {
  window.addEventListener("online", listener);
  window.addEventListener("offline", listener);
  return () => {
    window.removeEventListener("online", listener);
    window.removeEventListener("offline", listener);
  };
}

/** The browser has no network: said in words at the top of every screen. */
export function OfflineBanner({ text }: { text?: string }) {
  const online = useSyncExternalStore(subscribe, () => navigator.onLine);
  if (online && !text) return null;
  return (
    <div className="banner offline" role="alert">
      <span aria-hidden="true">⚠ </span>
      {online ? text : "You are offline. mcpdeck will reconnect when the network is back."}
    </div>
  );
}
