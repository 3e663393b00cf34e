import { defineConfig } from "vite";

// The daemon serves dist/ from the jar (Maven copies it to dev/corral/web/); `npm run dev` proxies the API to a
// running daemon (CORRAL_URL, default http://127.0.0.1:7433).
const daemon = process.env.CORRAL_URL ?? "http://127.0.0.1:7433";

export default defineConfig({
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 1000 },
  server: { proxy: { "/api": { target: daemon, ws: true }, "/health": daemon } },
  test: { environment: "node", include: ["test/**/*.test.ts"] },
} as any);
