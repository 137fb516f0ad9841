// A Server Component: Django's user and session, read from the request's cookies; and Django's
// API called as that user (session cookie and CSRF token forwarded).
import { cookies } from "next/headers";
import { sessions } from "../lib/sessions";
import { addToCart } from "./actions";

export const dynamic = "force-dynamic";

export default async function Home() {
  const bridge = await sessions();
  const jar = await cookies();
  const user = await bridge.user(jar);
  const cart = (await bridge.read(jar).get("cart")) ?? [];
  let api = "not asked (anonymous)";
  if (user.isAuthenticated) {
    const answer = await bridge.fetch(jar, "/api/me/", { method: "POST" });
    api = `${answer.status} ${await answer.text()}`;
  }
  return (
    <main>
      <h1>Next.js beside Django</h1>
      <p>
        Django user: <strong id="user">{user.isAuthenticated ? user.username : "anonymous"}</strong>
      </p>
      <p>
        Django API (POST /api/me/ with the forwarded cookie and CSRF token):{" "}
        <code id="api">{api}</code>
      </p>
      <p>
        Cart in Django&apos;s session: <span id="cart">{cart.join(", ") || "empty"}</span>
      </p>
      <form action={addToCart}>
        <input type="hidden" name="item" value="book" />
        <button id="add" type="submit">
          Add a book (Server Action)
        </button>
      </form>
    </main>
  );
}
