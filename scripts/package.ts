/**
 * npm run package — Debian packages of hamon, built offline with dpkg-deb:
 *
 *   bun scripts/package.ts                       # dist/hamon_VERSION_amd64.deb and _arm64.deb
 *   bun scripts/package.ts --arch amd64 --binary dist/hamon --compress gzip
 *
 * amd64 packs dist/hamon (built first when missing); arm64 is cross-built
 * from the pinned runtime package (`npm pack @oven/bun-linux-aarch64@VERSION`,
 * as the README's cross-build does). Contents, one binary path everywhere:
 *   /usr/sbin/hamon                              the executable
 *   /lib/systemd/system/hamon.service            the unit (docs/hamon.service)
 *   /etc/hamon/hamon.toml                        a conffile: valid, with no component yet
 *   /usr/lib/ocf/resource.d/hamon/hamon          the Pacemaker OCF agent
 *   /usr/share/doc/hamon/                        README, docs, keepalived snippets, examples
 * No maintainer scripts: nothing runs as root at install but dpkg itself.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };

const ROOT = join(import.meta.dir, "..");

/** The conffile: valid as shipped (hamon monitor --check-config passes), the example beside it. */
const CONFFILE = `# hamon's configuration (hamon monitor --check-config /etc/hamon/hamon.toml validates it).
# Every key with its default and its reasoning: /usr/share/doc/hamon/examples/hamon.example.toml;
# FRR in place of watchfrr: /usr/share/doc/hamon/examples/frr.toml. After a change: hamon reload.

[monitor]
stop_timeout_ms = 5000

# [[component]]
# name = "sshd"
# plane = "system"
# start = ["/usr/sbin/sshd", "-D"]
# ready = "probe"
# [[component.check]]
# name = "listen"
# mode = "probe"
# connect = "tcp://127.0.0.1:22"     # connect-only: sshd logs nothing
# period_ms = 5000
# timeout_ms = 2000
# fall = 3
`;

function run(argv: string[], cwd = ROOT): void {
  const r = Bun.spawnSync(argv, { cwd, stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: exit ${r.exitCode}`);
}

function put(stage: string, path: string, from: string | { text: string }, mode = 0o644): void {
  const to = join(stage, path);
  mkdirSync(dirname(to), { recursive: true });
  if (typeof from === "string") copyFileSync(from, to);
  else writeFileSync(to, from.text);
  chmodSync(to, mode);
}

/** The executable for `arch`: the given one, this host's build, or a cross-build from the pinned runtime package. */
function binaryFor(arch: "amd64" | "arm64", given: string | undefined): string {
  if (given) return given;
  if (arch === "amd64") {
    const bin = join(ROOT, "dist", "hamon");
    if (!existsSync(bin)) run([process.execPath, "build.ts"]);
    return bin;
  }
  const work = mkdtempSync(join(tmpdir(), "hamon-arm64-"));
  run(["npm", "pack", `@oven/bun-linux-aarch64@${pkg.devDependencies.bun}`, "--silent"], work);
  const tgz = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
  run(["tar", "xzf", tgz], work);
  const out = join(ROOT, "dist", "hamon-linux-arm64");
  run([process.execPath, "build.ts", "--target", "bun-linux-arm64", "--runtime", join(work, "package", "bin", "bun"), "--outfile", out]);
  rmSync(work, { recursive: true, force: true });
  return out;
}

export function buildDeb(arch: "amd64" | "arm64", binary: string, outDir: string, compress: string): string {
  const version = pkg.version;
  const stage = mkdtempSync(join(tmpdir(), `hamon-deb-${arch}-`));
  put(stage, "usr/sbin/hamon", binary, 0o755);
  put(stage, "lib/systemd/system/hamon.service", join(ROOT, "docs", "hamon.service"));
  put(stage, "etc/hamon/hamon.toml", { text: CONFFILE }, 0o640);
  put(stage, "usr/lib/ocf/resource.d/hamon/hamon", join(ROOT, "docs", "ocf", "hamon"), 0o755);
  const doc = "usr/share/doc/hamon";
  put(stage, `${doc}/README.md`, join(ROOT, "README.md"));
  for (const f of readdirSync(join(ROOT, "docs"))) {
    if (/\.(md|xsd|conf)$/.test(f)) put(stage, `${doc}/${f}`, join(ROOT, "docs", f));
  }
  put(stage, `${doc}/examples/hamon.example.toml`, join(ROOT, "docs", "hamon.example.toml"));
  for (const f of readdirSync(join(ROOT, "docs", "examples"))) put(stage, `${doc}/examples/${f}`, join(ROOT, "docs", "examples", f));
  put(stage, `${doc}/copyright`, { text: `hamon ${version}\nThe hamon health monitor; see README.md.\n` });
  const kib = Math.ceil(Number(statSync(binary).size) / 1024) + 256;
  put(stage, "DEBIAN/control", {
    text: [
      "Package: hamon", `Version: ${version}`, `Architecture: ${arch}`, "Maintainer: hamon developers <hamon@localhost>",
      "Depends: libc6 (>= 2.17)", "Section: admin", "Priority: optional", `Installed-Size: ${kib}`,
      "Description: health monitor for high-availability packet-processing appliances",
      " One monitoring daemon watches every software component of the appliance (daemons",
      " that link its library, plain daemons, DPDK fast-path cores through shared memory)",
      " and tells the HA framework (keepalived, Pacemaker, systemd, Prometheus) what it",
      " saw and decided.", "",
    ].join("\n"),
  });
  put(stage, "DEBIAN/conffiles", { text: "/etc/hamon/hamon.toml\n" });
  mkdirSync(outDir, { recursive: true });
  const deb = join(outDir, `hamon_${version}_${arch}.deb`);
  run(["dpkg-deb", "--root-owner-group", `-Z${compress}`, "--build", stage, deb]);
  rmSync(stage, { recursive: true, force: true });
  return deb;
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Bun.argv.slice(2),
    options: {
      arch: { type: "string", default: "all" },
      binary: { type: "string" },
      out: { type: "string", default: join(ROOT, "dist") },
      compress: { type: "string", default: "xz" },
    },
    strict: true,
  });
  const arches = values.arch === "all" ? (["amd64", "arm64"] as const) : [values.arch as "amd64" | "arm64"];
  for (const arch of arches) {
    const binary = binaryFor(arch, values.binary);
    const deb = buildDeb(arch, binary, values.out!, values.compress!);
    const bin = Number(statSync(binary).size);
    console.log(`${deb}: ${(Number(statSync(deb).size) / 2 ** 20).toFixed(1)} MiB (the binary: ${(bin / 2 ** 20).toFixed(1)} MiB)`);
  }
}
