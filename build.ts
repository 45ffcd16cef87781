/**
 * Builds the single hamon executable.
 *
 *   bun build.ts                          # dist/hamon for this host
 *   bun build.ts --target bun-linux-arm64 --runtime path/to/bun   # offline cross-build
 *
 * The binary embeds its version, ignores `.env` and `bunfig.toml` in the
 * working directory, carries its source map so stack traces in logs point
 * at our TypeScript, and its code as precompiled bytecode (fast start). Do not `strip` it: that removes the embedded program.
 */
import { parseArgs } from "node:util";
import pkg from "./package.json" with { type: "json" };

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: {
    target: { type: "string" },
    runtime: { type: "string" },
    outfile: { type: "string" },
    // For bench:memory only (what each costs): the shipped binary is minified, with bytecode and its source map.
    "no-minify": { type: "boolean", default: false },
    "no-bytecode": { type: "boolean", default: false },
    "no-sourcemap": { type: "boolean", default: false },
  },
  strict: true,
});

const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { stderr: "ignore" }).stdout.toString().trim() || "unknown";
const version = `${pkg.version}+${commit}`;
const outfile = values.outfile ?? (values.target ? `dist/hamon-${values.target.replace(/^bun-/, "")}` : "dist/hamon");

const result = await Bun.build({
  // The Worker threads (the daemon-log writer, the metrics endpoint, the death watcher, the watchdog) are entry points of their own (src/sys/worker.ts).
  entrypoints: ["src/main.ts", "src/process/log-worker.ts", "src/adapters/metrics-worker.ts", "src/process/death-worker.ts", "src/watchdog/scan-worker.ts"],
  minify: !values["no-minify"],
  sourcemap: values["no-sourcemap"] ? "none" : "inline",
  // JSC bytecode compiled ahead of time: a client verb starts in ~10 ms
  // instead of ~30 ms spent parsing the bundle (bench:cli; cron and
  // monitoring agents run `hamon check` as a fresh process each time).
  bytecode: !values["no-bytecode"],
  format: "esm",
  define: { BUILD_VERSION: JSON.stringify(version) },
  compile: {
    outfile,
    ...(values.target ? { target: values.target as Bun.Build.CompileTarget } : {}),
    ...(values.runtime ? { executablePath: values.runtime } : {}),
    autoloadDotenv: false,
    autoloadBunfig: false,
    autoloadTsconfig: false,
  },
});

if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built ${outfile} (hamon ${version}, target ${values.target ?? "host"})`);
