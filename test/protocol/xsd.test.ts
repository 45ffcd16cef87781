/** Every message the code emits validates against docs/hamon-v1.xsd, checked by xmllint (libxml2-utils). */
import { expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encode } from "../../src/protocol/codec.ts";
import { SAMPLES } from "../fixtures/messages.ts";

const XSD = join(import.meta.dir, "..", "..", "docs", "hamon-v1.xsd");

test("xmllint is installed (.ci/run installs libxml2-utils)", () => {
  expect(Bun.which("xmllint")).not.toBeNull();
});

test("every sample message validates against the XSD", () => {
  const dir = mkdtempSync(join(tmpdir(), "hamon-xsd-"));
  const files = SAMPLES.map((m, i) => {
    const f = join(dir, `${i}-${m.type}.xml`);
    writeFileSync(f, encode(m));
    return f;
  });
  const r = Bun.spawnSync(["xmllint", "--noout", "--schema", XSD, ...files], { stderr: "pipe" });
  const err = r.stderr.toString();
  expect(err.split("\n").filter((l) => l.endsWith(" validates"))).toHaveLength(files.length);
  expect(r.exitCode).toBe(0);
});

test("the XSD rejects what the codec rejects (a sanity check that it can fail)", () => {
  const dir = mkdtempSync(join(tmpdir(), "hamon-xsd-"));
  const f = join(dir, "bad.xml");
  writeFileSync(f, `<register id="1" name="a/b" kind="static" plane="fast"/>`);
  const r = Bun.spawnSync(["xmllint", "--noout", "--schema", XSD, f], { stderr: "pipe" });
  expect(r.exitCode).not.toBe(0);
});
