/**
 * Where a TOML syntax error is. Bun's parser says what is wrong, not where
 * (its error's line and column are not the file's), so the place is found
 * the way a person would: the shortest run of leading lines that fails with
 * the same message is the line; the character the message names ("found
 * '='"), or the end of the line for what ended too soon, is the column.
 * Only on the error path: a config of a few hundred lines parses in well
 * under a millisecond per try.
 *
 * @example
 *   tomlErrorAt('a = 1\nb = = 2\n', "TOML Parse error: Expected a value but found '='") // { line: 2, column: 5, text: "b = = 2" }
 */
export function tomlErrorAt(text: string, message: string): { line: number; column: number; text: string } | null {
  const lines = text.split("\n");
  for (let k = 1; k <= lines.length; k++) {
    try {
      Bun.TOML.parse(`${lines.slice(0, k).join("\n")}\n`);
    } catch (e) {
      if ((e as Error).message !== message) continue; // an array or table still open here, closed further down: not this error
      const line = lines[k - 1]!.replace(/\r$/, "");
      return { line: k, column: columnOf(line, message), text: line.length > 120 ? `${line.slice(0, 117)}...` : line };
    }
  }
  return null;
}

function columnOf(line: string, message: string): number {
  const indent = line.length - line.trimStart().length;
  const found = /found '(.)'/.exec(message)?.[1];
  if (found) {
    // After the key (`b = = 2`: the second '='), else the first.
    const eq = line.indexOf("=");
    const at = line.indexOf(found, eq >= 0 && found === "=" ? eq + 1 : indent);
    if (at >= 0) return at + 1;
  }
  // What ended too soon (an unterminated string or array, a header missing its ']'): the end of the line.
  if (/Unterminated|0x0A|Expected '\]'|newline/i.test(message)) return line.length + 1;
  return indent + 1;
}
