/** @type {import("next").NextConfig} */
const nextConfig = {
  // sessionbridge and its drivers run as Node packages on the server, not bundled.
  serverExternalPackages: ["sessionbridge", "redis", "pg"],
};
export default nextConfig;
