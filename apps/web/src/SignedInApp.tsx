import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useEffect } from "react";
import { useTRPC } from "./api/trpc.js";
import { useAuth } from "./auth/auth-context.js";
import { Link, matchPath, navigate, useLocation } from "./router.js";
import { Profile } from "./screens/Profile.js";
import { ServerForm } from "./screens/ServerForm.js";
import { Servers } from "./screens/Servers.js";
import { OfflineBanner } from "./ui/OfflineBanner.js";
import { useShortcutHelp } from "./ui/shortcuts.js";

const SessionScreen = lazy(() => import("./screens/session/SessionScreen.js"));

/** The signed-in client: the top bar and the screen the path names. */
export default function SignedInApp() {
  const { path } = useLocation();
  const { tokens } = useAuth();
  const trpc = useTRPC();
  const { showHelp } = useShortcutHelp();
  const profile = useQuery(trpc.user.profile.queryOptions());

  useEffect(() => {
    if (path === "/" || path === "/signin") navigate(`/servers${window.location.search}`, { replace: true });
  }, [path]);

  const session = matchPath("/servers/:id/session", path);
  const edit = matchPath("/servers/:id/edit", path);
  let screen: React.ReactNode;
  if (session) {
    screen = (
      <Suspense fallback={<p role="status">Loading the session…</p>}>
        <SessionScreen key={session.id} serverId={session.id!} />
      </Suspense>
    );
  } else if (edit) screen = <ServerForm key={edit.id} serverId={edit.id!} />;
  else if (path === "/servers/new") screen = <ServerForm />;
  else if (path === "/profile") screen = <Profile />;
  else screen = <Servers />;

  const here = (prefix: string) => (path.startsWith(prefix) ? "page" : undefined);
  return (
    <div className="app">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/servers" className="brand">
          mcpdeck
        </Link>
        <nav aria-label="Main">
          <Link to="/servers" aria-current={here("/servers")}>
            Servers
          </Link>
          <Link to="/profile" aria-current={here("/profile")}>
            Profile
          </Link>
        </nav>
        <span className="spacer" />
        {profile.data ? (
          <span className="who" title={profile.data.email}>
            {profile.data.username}
          </span>
        ) : null}
        <button type="button" className="ghost" onClick={showHelp} aria-label="Keyboard shortcuts">
          ?
        </button>
        <button type="button" className="ghost" onClick={() => void tokens.signOut()}>
          Sign out
        </button>
      </header>
      <OfflineBanner />
      <div id="main" className="main" tabIndex={-1}>
        {screen}
      </div>
    </div>
  );
}
