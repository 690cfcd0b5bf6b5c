"""The HTML report's jinja2 template and style sheet, as string constants.

:mod:`offramp.report.html` fills :data:`REPORT_TEMPLATE` with sections, each a heading and
a sequence of blocks (paragraphs, notes, figures as data URIs, tables, collapsible parts)
it has already formatted; the template only lays them out, drawing each kind of block
one way (the ``draw`` macro).

Choices
-------
1. The template lives in a Python module rather than a ``.j2`` package-data file: it then
   ships in every wheel and sdist without a ``package-data`` entry, and a missing template
   cannot be a run-time error.
2. Nothing is fetched: the style sheet is inline, fonts are the system's (a font stack, no
   web fonts), there is no script, and figures are embedded by
   :mod:`offramp.report.html`, so the file opens offline and reads the same in ten years.
3. The template is rendered with autoescaping on; the style sheet, a constant of this
   module, is the only text marked safe.
4. Collapsible parts are ``<details>`` elements, which need no script; the print style
   opens nothing and hides nothing, so a printed report has every table a reader opened.
"""

from __future__ import annotations

__all__ = ["INSTRUMENT_NOTE", "REPORT_CSS", "REPORT_TEMPLATE"]

#: Said at the top and at the bottom of every report.
INSTRUMENT_NOTE = "offramp is an analytic instrument: it holds no operational content."

REPORT_CSS = """
:root {
  --ink: #1f2328; --muted: #59636e; --line: #d5dbe2; --zebra: #f5f7fa; --head: #e9eef4;
  --accent: #2f4f86; --note-line: #c07a12; --note-bg: #fff7e8;
  --depends-bg: #fde3e1; --depends-ink: #9b1c1c;
}
* { box-sizing: border-box; }
html {
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Liberation Sans",
    "Helvetica Neue", Arial, sans-serif;
  font-size: 16px; line-height: 1.55; color: var(--ink); background: #ffffff;
}
body { margin: 0; }
.page { max-width: 74rem; margin: 0 auto; padding: 0 1.5rem 3rem; }
.instrument {
  margin: 0; max-width: none; padding: .45rem 1.5rem; text-align: center; font-size: .85rem;
  color: #ffffff; background: #36404c;
}
header { padding-top: 1.5rem; }
h1 { font-size: 1.9rem; line-height: 1.25; margin: 0 0 .3rem; }
h2 {
  font-size: 1.45rem; margin: 2.8rem 0 .8rem; padding-bottom: .3rem;
  border-bottom: 2px solid var(--line);
}
h3 { font-size: 1.15rem; margin: 2rem 0 .5rem; }
p { margin: .5rem 0; max-width: 52rem; }
.lede { color: var(--muted); margin: 0 0 1rem; }
nav.contents {
  border: 1px solid var(--line); border-radius: 6px; padding: .5rem 1rem; margin: 1rem 0 0;
  background: var(--zebra);
}
nav.contents ol { margin: 0; padding-left: 1.3rem; columns: 2; column-gap: 3rem; }
nav.contents a { color: var(--accent); text-decoration: none; }
nav.contents a:hover { text-decoration: underline; }
ul.summary { padding-left: 1.3rem; max-width: 56rem; }
ul.summary li { margin: .35rem 0; }
.callout {
  border-left: 4px solid var(--note-line); background: var(--note-bg);
  padding: .55rem 1rem; margin: .8rem 0; border-radius: 0 6px 6px 0; max-width: 56rem;
}
.callout strong { display: block; font-size: .85rem; text-transform: uppercase;
  letter-spacing: .04em; color: #8a5a0b; }
figure { margin: 1.3rem 0; }
figure img {
  display: block; max-width: 100%; height: auto; border: 1px solid var(--line);
  border-radius: 6px; background: #ffffff;
}
figcaption { color: var(--muted); font-size: .88rem; margin-top: .4rem; max-width: 56rem; }
p.empty { color: var(--muted); font-style: italic; }
.table-wrap { overflow-x: auto; margin: .35rem 0 1.2rem; }
table { border-collapse: collapse; font-size: .86rem; }
p.table-caption { color: var(--muted); margin: 1.2rem 0 .35rem; font-size: .88rem; }
th, td { padding: .32rem .65rem; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--head); border-bottom: 2px solid #b9c3cf; font-weight: 600; vertical-align: bottom; }
tbody tr:nth-child(even) { background: var(--zebra); }
tbody th { font-weight: 600; white-space: nowrap; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
th.num { white-space: normal; min-width: 4.5rem; }
.sub { display: block; color: var(--muted); font-size: .76rem; }
td.depends { background: var(--depends-bg); color: var(--depends-ink); font-weight: 700; }
td.muted { color: var(--muted); }
td.rule { min-width: 18rem; }
td.wrap { min-width: 13rem; }
table.facts { border-top: 1px solid var(--line); }
table.facts td.key { color: var(--muted); font-weight: 600; white-space: nowrap; }
table.facts td { font-variant-numeric: tabular-nums; }
code, pre, .mono {
  font-family: ui-monospace, SFMono-Regular, "Cascadia Mono", "DejaVu Sans Mono", Menlo, Consolas,
    "Liberation Mono", monospace;
}
code { font-size: .88em; background: var(--zebra); padding: .05rem .3rem; border-radius: 4px; }
pre {
  background: var(--zebra); border: 1px solid var(--line); border-radius: 6px;
  padding: .75rem 1rem; font-size: .8rem; line-height: 1.4; overflow: auto; max-height: 36rem;
}
details { margin: .8rem 0 1.2rem; }
summary { cursor: pointer; font-weight: 600; color: var(--accent); }
details[open] > summary { margin-bottom: .4rem; }
dl.claims { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: .5rem 0; }
dl.claims dt { font-weight: 700; }
dl.claims dd { margin: 0; }
footer { margin-top: 3rem; padding-top: 1rem; border-top: 1px solid var(--line); color: var(--muted);
  font-size: .88rem; }
@media print {
  .instrument { color: var(--ink); background: none; border-bottom: 1px solid var(--line); }
  nav.contents { display: none; }
  h2 { break-after: avoid; }
  figure, table { break-inside: avoid; }
}
"""

REPORT_TEMPLATE = """\
{%- macro table(t) -%}
{% if t.caption %}<p class="table-caption">{{ t.caption }}</p>{% endif %}
{% if not t.rows %}<p class="empty">{{ t.empty }}</p>{% else %}
<div class="table-wrap"><table{% if t.css %} class="{{ t.css }}"{% endif %}>
{%- if t.columns %}
<thead><tr>{% for column in t.columns %}<th scope="col"{% if column.numeric %} class="num"{% endif %}>\
{{ column.label }}</th>{% endfor %}</tr></thead>{% endif %}
<tbody>
{% for row in t.rows %}<tr>{% for cell in row %}<td{% if cell.css %} class="{{ cell.css }}"{% endif %}>\
{{ cell.text }}{% if cell.sub %}<span class="sub">{{ cell.sub }}</span>{% endif %}</td>{% endfor %}</tr>
{% endfor %}</tbody></table></div>{% endif %}
{%- endmacro -%}
{%- macro draw(item) -%}
{% if item.kind == "paragraph" %}<p>{{ item.text }}</p>
{%- elif item.kind == "note" %}<aside class="callout"><strong>{{ item.title }}</strong>{{ item.text }}</aside>
{%- elif item.kind == "figure" %}<figure><img src="{{ item.src }}" alt="{{ item.alt }}" width="{{ item.width }}" \
height="{{ item.height }}">{% if item.caption %}<figcaption>{{ item.caption }}</figcaption>{% endif %}</figure>
{%- elif item.kind == "table" %}{{ table(item) }}
{%- elif item.kind == "heading" %}<h3>{{ item.text }}</h3>
{%- elif item.kind == "bullets" %}<ul class="summary">
{% for text in item.items %}<li>{{ text }}</li>
{% endfor %}</ul>
{%- elif item.kind == "definitions" %}<dl class="claims">
{% for term, text in item.items %}<dt>{{ term }}</dt><dd>{{ text }}</dd>
{% endfor %}</dl>
{%- elif item.kind == "tree" %}<p>CART's tree, as text (a split sends <code>x &le; t</code> to the upper branch):</p>
<pre>{{ item.text }}</pre>
{%- elif item.kind == "source" %}<pre>{{ item.text }}</pre>
{%- elif item.kind == "details" %}<details><summary>{{ item.summary }}</summary>
{% for inner in item.blocks %}{{ draw(inner) }}
{% endfor %}</details>
{%- endif %}
{%- endmacro -%}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="offramp {{ version }}">
<title>{{ title }}</title>
<style>{{ css | safe }}</style>
</head>
<body>
<p class="instrument">{{ instrument }}</p>
<div class="page">
<header>
<h1>{{ title }}</h1>
<p class="lede">{{ lede }}</p>
<nav class="contents" aria-label="Contents"><ol>
{% for section in sections %}<li><a href="#{{ section.anchor }}">{{ section.heading }}</a></li>
{% endfor %}</ol></nav>
</header>
<main>
{% for section in sections %}
<section id="{{ section.anchor }}">
<h2>{{ section.heading }}</h2>
{% for item in section.blocks %}{{ draw(item) }}
{% endfor %}</section>
{% endfor %}
</main>
<footer>
<p>{{ instrument }}</p>
<p>Report written by offramp {{ version }} on {{ generated }}. Every number in it comes from the \
analysis's tables; no sentence is written by hand.</p>
</footer>
</div>
</body>
</html>
"""
