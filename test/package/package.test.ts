/**
 * The Debian package (npm run package), installed into a fresh root with
 * dpkg: the binary answers, the shipped conffile is valid, the OCF agent
 * answers meta-data, and systemd accepts the installed unit (its ExecStart
 * names the installed binary: checked in a mount namespace where /usr/sbin
 * is the package's own). amd64 only here, gzip for speed; `npm run package`
 * builds both architectures, xz-compressed.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildDeb } from "../../scripts/package.ts";
import { BIN, buildBinary } from "../helpers/binary.ts";

let root = "";
let deb = "";
const sh = (argv: string[], env: Record<string, string> = {}) => {
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", env: { PATH: process.env.PATH ?? "", ...env } });
  return { code: r.exitCode, out: `${r.stdout}${r.stderr}` };
};

beforeAll(async () => {
  await buildBinary();
  deb = buildDeb("amd64", BIN, mkdtempSync(join(tmpdir(), "hamon-debs-")), "gzip");
  root = mkdtempSync(join(tmpdir(), "hamon-root-"));
  mkdirSync(join(root, "var/lib/dpkg/info"), { recursive: true });
  mkdirSync(join(root, "var/lib/dpkg/updates"), { recursive: true });
  writeFileSync(join(root, "var/lib/dpkg/status"), "");
  // A fresh root has no libc6 of its own to depend on: --force-depends (the host's libc runs the binary).
  const r = sh(["dpkg", `--root=${root}`, "--force-depends", "--log=/dev/null", "-i", deb]);
  if (r.code !== 0) throw new Error(`dpkg -i: ${r.out}`);
}, 240_000);

describe("the .deb installed into a fresh root", () => {
  test("it holds the binary, the unit, the conffile, the OCF agent and the docs, at the paths every doc names", () => {
    for (const p of ["usr/sbin/hamon", "lib/systemd/system/hamon.service", "etc/hamon/hamon.toml", "usr/lib/ocf/resource.d/hamon/hamon", "usr/share/doc/hamon/README.md", "usr/share/doc/hamon/keepalived-monitor.conf", "usr/share/doc/hamon/examples/frr.toml"]) expect(existsSync(join(root, p))).toBe(true);
    expect(readFileSync(join(root, "var/lib/dpkg/info/hamon.conffiles"), "utf8").trim()).toBe("/etc/hamon/hamon.toml");
    expect(readFileSync(join(root, "lib/systemd/system/hamon.service"), "utf8")).toContain("ExecStart=/usr/sbin/hamon monitor --config /etc/hamon/hamon.toml");
    expect(readFileSync(join(root, "usr/share/doc/hamon/keepalived-monitor.conf"), "utf8")).toContain("process /usr/sbin/hamon monitor");
    console.log(`package: ${(statSync(deb).size / 2 ** 20).toFixed(1)} MiB gzip (binary ${(statSync(BIN).size / 2 ** 20).toFixed(1)} MiB)`);
  });

  test("hamon --version answers", () => {
    const r = sh([join(root, "usr/sbin/hamon"), "--version"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("the shipped /etc/hamon/hamon.toml is valid (check-config)", () => {
    const r = sh([join(root, "usr/sbin/hamon"), "monitor", "--check-config", join(root, "etc/hamon/hamon.toml")]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("valid (0 components");
  });

  test("the OCF agent answers meta-data", () => {
    const r = sh([join(root, "usr/lib/ocf/resource.d/hamon/hamon"), "meta-data"], { OCF_ROOT: join(root, "usr/lib/ocf") });
    expect(r.code).toBe(0);
    expect(r.out).toContain('<resource-agent name="hamon"');
    expect(r.out).toContain('default="/usr/sbin/hamon"');
  });

  test("systemd-analyze verify accepts the installed unit (with /usr/sbin the package's own)", () => {
    const unit = join(root, "lib/systemd/system/hamon.service");
    const r = sh(["unshare", "-m", "sh", "-c", `mount --bind ${join(root, "usr/sbin")} /usr/sbin && systemd-analyze verify ${unit}`]);
    expect(r.out.trim()).toBe("");
    expect(r.code).toBe(0);
  });
});
