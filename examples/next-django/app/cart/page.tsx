// Behind proxy.ts: only logged-in users get here, with their Django id in a request header.
import { headers } from "next/headers";

export default async function Cart() {
  const userId = (await headers()).get("x-django-user-id");
  return (
    <p>
      Cart of Django user <span id="user-id">{userId}</span>
    </p>
  );
}
