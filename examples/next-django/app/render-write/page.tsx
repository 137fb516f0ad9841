// A write while a Server Component renders is refused with a typed error naming where writes go.
import { cookies } from "next/headers";
import { sessions } from "../../lib/sessions";

export const dynamic = "force-dynamic";

export default async function RenderWrite() {
  try {
    await (await sessions()).read(await cookies()).set("cart", []);
    return <p id="error">no error</p>;
  } catch (error) {
    const { code, message } = error as { code?: string; message: string };
    return <p id="error">{`${code}: ${message}`}</p>;
  }
}
