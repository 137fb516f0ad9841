// A Route Handler: reads and writes Django's session, committed to its Response.
import { sessions } from "../../../lib/sessions";

export async function POST(request: Request) {
  const handler = (await sessions()).route(async (req, { session, user }) => {
    if (!(await user()).isAuthenticated) return Response.json({ error: "log in" }, { status: 401 });
    const { item } = (await req.json()) as { item: string };
    const cart = [...((await session.get("cart")) ?? []), item];
    await session.set("cart", cart);
    return Response.json({ cart });
  });
  return handler(request);
}
