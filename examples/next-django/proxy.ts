// Anonymous visitors to /cart go to Django's login page with next=; a logged-in one goes on with
// the user's id in the x-django-user-id request header. The session is checked in Redis and the
// user (with Django's _auth_user_hash rule) in the database, not only the cookie's presence.
import { NextResponse, type NextRequest } from "next/server";
import { sessions } from "./lib/sessions";

export async function proxy(request: NextRequest) {
  return (await sessions()).proxy({ NextResponse })(request);
}

export const config = { matcher: ["/cart/:path*"] };
