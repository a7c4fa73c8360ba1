import { Csrf, ErrorBox, Layout } from '../layout.js';

export function LoginPage(p: { next: string; error?: string | undefined; name?: string | undefined; csrf: string }) {
  return (
    <Layout title="Log in" csrf={p.csrf} nav="none">
      <div class="login panel">
        <h1>Trailhound</h1>
        <ErrorBox message={p.error} />
        <form method="post" action="/login" class="stack">
          <Csrf token={p.csrf} />
          <input type="hidden" name="next" value={p.next} />
          <label>
            Name
            <input type="text" name="name" autocomplete="username" required value={p.name ?? ''} data-focus="" />
          </label>
          <label>
            Password
            <input type="password" name="password" autocomplete="current-password" required />
          </label>
          <button type="submit" class="primary">
            Log in
          </button>
        </form>
      </div>
    </Layout>
  );
}

/** Only a same-site relative path (`/x...`, never `//host` or `/\host`) is accepted as where to go after logging in. */
export function safeNext(next: string | undefined | null): string {
  if (!next || next.length > 2000) return '/';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are refused
  if (!next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || /[\u0000-\u001f\\]/.test(next)) return '/';
  try {
    const base = 'http://console.invalid';
    const u = new URL(next, base);
    if (u.origin !== base) return '/';
    if (u.pathname === '/login' || u.pathname === '/logout') return '/';
    return `${u.pathname}${u.search}${u.hash}`;
  } catch {
    return '/';
  }
}
