"use server";
// A Server Action: reads and writes Django's session, then commits it through cookies().
import { cookies } from "next/headers";
import { revalidatePath } from "next/cache";
import { sessions } from "../lib/sessions";

export async function addToCart(form: FormData) {
  const { session, commit } = (await sessions()).action(await cookies());
  const cart = (await session.get("cart")) ?? [];
  await session.set("cart", [...cart, String(form.get("item"))]);
  await commit();
  revalidatePath("/");
}
