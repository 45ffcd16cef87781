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

/**
 * The rooms of src/ from the bottom up (top-level files count as rooms of
 * their own): a room may import only rooms before it in this list. The
 * order is the design: a new import that points upwards fails here, naming
 * the file, before it becomes a cycle.
 */
export const ROOM_ORDER = [
  "protocol", "sys", "log", "paths", "version", "engine", "transport", "watchdog", "config", "library", "render", "demo",
  "events", "security", "process", "adapters", "discovery", "probes", "monitor", "cli", "ocf", "sidecar", "commands", "main",
] as const;

/** The pure rooms (and pure files of I/O rooms): no file system, process, socket or FFI of their own. */
const PURE = ["protocol", "engine", "render", "security", "config"];
const PURE_FILES = ["src/watchdog/layout.ts", "src/watchdog/assess.ts", "src/discovery/plan.ts"];

describe("src/", () => {
  const g = importGraph();
  test("every room is in the room order, and every import between rooms points down it", () => {
    const rooms = new Set([...g.keys()].map(room));
    expect([...rooms].filter((r) => !(ROOM_ORDER as readonly string[]).includes(r))).toEqual([]);
    const rank = (r: string) => (ROOM_ORDER as readonly string[]).indexOf(r);
    const up = [...g].flatMap(([f, deps]) => deps.filter((d) => room(d) !== room(f) && rank(room(d)) > rank(room(f))).map((d) => `${f} imports ${d} (${room(f)} is below ${room(d)})`));
    expect(up).toEqual([]);
  });
  test("no import cycle between rooms", () => {
    const rg = new Map<string, string[]>();
    for (const [f, deps] of g) for (const d of deps) if (room(d) !== room(f)) rg.set(`src/${room(f)}`, [...(rg.get(`src/${room(f)}`) ?? []), `src/${room(d)}`]);
    expect(cycles(rg, () => true)).toEqual([]);
  });
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
  test("one clock: no timer of its own in src/monitor/ outside loop.ts (every timer is the loop's `after`)", () => {
    const timers = /\b(setTimeout|setInterval|setImmediate)\s*\(|\bBun\.sleep\s*\(/;
    const bad = [...g.keys()].filter((f) => f.startsWith("src/monitor/") && f !== "src/monitor/loop.ts" && timers.test(readFileSync(join(ROOT, f), "utf8")));
    expect(bad).toEqual([]);
  });
  test("small files: none in src/ over 300 lines, the monitor core at most 250 (it composes; the rooms do the work)", () => {
    const lines = (f: string) => readFileSync(join(ROOT, f), "utf8").split("\n").length - 1;
    expect([...g.keys()].filter((f) => lines(f) > 300).map((f) => `${f}: ${lines(f)} lines`)).toEqual([]);
    expect(lines("src/monitor/core.ts")).toBeLessThanOrEqual(250);
  });
  test("no helper is built with the whole core (`new X(this)`): each gets explicit, narrow dependencies", () => {
    const bad = [...g.keys()].filter((f) => f.startsWith("src/monitor/") && /\bnew\s+\w+\(\s*this\s*[,)]/.test(readFileSync(join(ROOT, f), "utf8")));
    expect(bad).toEqual([]);
  });
  test("docs/architecture.md names every file of src/monitor/", () => {
    const doc = readFileSync(join(ROOT, "docs/architecture.md"), "utf8");
    const missing = [...g.keys()].filter((f) => f.startsWith("src/monitor/")).map((f) => f.slice("src/monitor/".length)).filter((n) => !doc.includes(`\`${n}\``));
    expect(missing).toEqual([]);
  });
  test("only the entry point imports commands/", () => {
    const bad = [...g].flatMap(([f, deps]) => (room(f) !== "commands" && f !== "src/main.ts" ? deps.filter((d) => room(d) === "commands").map((d) => `${f} imports ${d}`) : []));
    expect(bad).toEqual([]);
  });
  test("the pure rooms (protocol, engine, render, security, config) and the pure files of I/O rooms do no I/O of their own", () => {
    const io = /from "(node:fs|node:child_process|node:net|node:fs\/promises|bun:ffi)"|\bBun\.(spawn|spawnSync|connect|listen|serve|file|write)\b|\bprocess\.kill\b/;
    const bad = [...g.keys()].filter((f) => (PURE.includes(room(f)) || PURE_FILES.includes(f)) && io.test(readFileSync(join(ROOT, f), "utf8")));
    expect(bad).toEqual([]);
    // A pure file imports code only from pure files (types from anywhere): I/O cannot come in through the back door.
    const pure = (f: string) => PURE.includes(room(f)) || PURE_FILES.includes(f);
    const leaks: string[] = [];
    for (const f of [...g.keys()].filter(pure)) {
      for (const m of readFileSync(join(ROOT, f), "utf8").matchAll(/^import (?!type\b)[^;]*?\bfrom\s+"(\.[^"]+)"/gm)) {
        const d = relative(ROOT, resolve(dirname(join(ROOT, f)), m[1]!));
        if (!pure(d)) leaks.push(`${f} imports ${d}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
