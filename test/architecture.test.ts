/**
 * The rooms of src/ and who may import whom (docs/architecture.md): read from
 * the import statements themselves (type-only imports count: a type cycle is
 * a design cycle). A rule broken names the file and the import.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = join(import.meta.dir, "..");

/** file (relative to the repo) → the repo files it imports. */
export function importGraph(dir = join(ROOT, "src")): Map<string, string[]> {
  const files: string[] = [];
  (function walk(d: string) {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  })(dir);
  const g = new Map<string, string[]>();
  for (const f of files) {
    const text = readFileSync(f, "utf8");
    const specs = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"/gm), ...text.matchAll(/\bimport\("(\.[^"]+)"\)/g)].map((m) => m[1]!);
    g.set(relative(ROOT, f), specs.map((s) => relative(ROOT, resolve(dirname(f), s))));
  }
  return g;
}

/** Every cycle among the files `within` selects (each reported once, from its first file). */
export function cycles(g: Map<string, string[]>, within: (f: string) => boolean): string[][] {
  const out: string[][] = [];
  const done = new Set<string>();
  const stack: string[] = [];
  const visit = (f: string) => {
    stack.push(f);
    for (const d of g.get(f) ?? []) {
      if (!within(d)) continue;
      const at = stack.indexOf(d);
      if (at >= 0) out.push([...stack.slice(at), d]);
      else if (!done.has(d)) visit(d);
    }
    stack.pop();
    done.add(f);
  };
  for (const f of g.keys()) if (within(f) && !done.has(f)) visit(f);
  return out;
}

const room = (f: string) => (f.startsWith("src/") ? f.split("/")[1]!.replace(/\.ts$/, "") : "");
function crossings(g: Map<string, string[]>, from: string, to: string): string[] {
  const out: string[] = [];
  for (const [f, deps] of g) if (room(f) === from) for (const d of deps) if (room(d) === to) out.push(`${f} imports ${d}`);
  return out;
}

describe("the checker itself", () => {
  test("finds a cycle, including a type-only one, and a forbidden crossing", () => {
    const g = new Map([["src/monitor/a.ts", ["src/monitor/b.ts"]], ["src/monitor/b.ts", ["src/monitor/a.ts"]], ["src/adapters/x.ts", ["src/monitor/a.ts"]]]);
    expect(cycles(g, (f) => f.startsWith("src/monitor/"))).toEqual([["src/monitor/a.ts", "src/monitor/b.ts", "src/monitor/a.ts"]]);
    expect(crossings(g, "adapters", "monitor")).toEqual(["src/adapters/x.ts imports src/monitor/a.ts"]);
  });
});

describe("src/", () => {
  const g = importGraph();
  test("no import cycle inside src/monitor/ (the helpers take a narrow context, never the core)", () => {
    expect(cycles(g, (f) => f.startsWith("src/monitor/"))).toEqual([]);
  });
  test("no import cycle anywhere in src/", () => {
    expect(cycles(g, (f) => f.startsWith("src/"))).toEqual([]);
  });
  test.each([
    ["adapters", "monitor"], // adapters see events and verdicts, wired by the composition root
    ["ocf", "commands"],
    ["library", "discovery"], // the library's side of beacons lives with the library
    ["library", "monitor"],
    ["library", "commands"],
    ["protocol", "monitor"],
    ["engine", "monitor"],
    ["watchdog", "monitor"],
    ["transport", "monitor"],
    ["cli", "commands"],
  ])("%s/ does not import %s/", (from, to) => {
    expect(crossings(g, from, to)).toEqual([]);
  });
  test("only the entry point imports commands/", () => {
    const bad = [...g].flatMap(([f, deps]) => (room(f) !== "commands" && f !== "src/main.ts" ? deps.filter((d) => room(d) === "commands").map((d) => `${f} imports ${d}`) : []));
    expect(bad).toEqual([]);
  });
  test("the pure rooms (protocol, engine, render) do no I/O of their own", () => {
    const io = /from "(node:fs|node:child_process|node:net|bun:ffi)"|\bBun\.(spawn|connect|listen|file|write)\b/;
    const bad = [...g.keys()].filter((f) => ["protocol", "engine", "render"].includes(room(f)) && io.test(readFileSync(join(ROOT, f), "utf8")));
    expect(bad).toEqual([]);
  });
});
