// Builds the dashboard into one self-contained HTML file:
//   node build.mjs OUTDIR   ->  OUTDIR/index.html
// esbuild bundles src/app.js with uPlot (from node_modules, installed by
// `npm ci` from the committed package-lock.json) and the CSS, minified; the
// result is inlined into src/index.html. Runs offline. CMake turns the file
// into a C array linked into prewarmd (cmake/embed.cmake).
import { build } from "esbuild";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = process.argv[2];
if (!outdir) {
  console.error("usage: node build.mjs OUTDIR");
  process.exit(2);
}

const result = await build({
  entryPoints: [join(here, "src/app.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["chrome100", "firefox100", "safari15"],
  outdir: "out",
  write: false,
  legalComments: "inline",
  logLevel: "warning",
});
const pick = (ext) => result.outputFiles.find((f) => f.path.endsWith(ext)).text;
// An inline script must not contain "</script"; neither CSS "</style".
const js = pick(".js").replace(/<\/script/gi, "<\\/script");
const css = pick(".css").replace(/<\/style/gi, "<\\/style");
const template = await readFile(join(here, "src/index.html"), "utf8");
const html = template.replace("/*@CSS@*/", () => css).replace("/*@JS@*/", () => js);
await mkdir(outdir, { recursive: true });
await writeFile(join(outdir, "index.html"), html);
console.log(`dashboard: ${join(outdir, "index.html")} (${html.length} bytes)`);
