// Blackout dashboard: what every page shares. Plain JavaScript, no framework: it reads the
// JSON API under /api/v1 and builds the page with DOM calls (text is always set as text,
// never parsed as HTML).
"use strict";

const Blackout = (() => {
  /** An API error: the HTTP status and the server's {"error": "..."} message. */
  class APIError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  /** GET a JSON document from the API; rejects with an APIError naming the status. */
  async function api(path) {
    let response;
    try {
      response = await fetch(path, { headers: { Accept: "application/json" } });
    } catch (e) {
      throw new APIError(0, `the server did not answer (${e.message})`);
    }
    let body = null;
    try { body = await response.json(); } catch (_) { /* not JSON */ }
    if (!response.ok) {
      throw new APIError(response.status, (body && body.error) || `${response.status} ${response.statusText}`);
    }
    return body;
  }

  /** GET a text document (the chart's SVG). */
  async function text(path) {
    const response = await fetch(path);
    const body = await response.text();
    if (!response.ok) {
      let message = `${response.status} ${response.statusText}`;
      try { message = JSON.parse(body).error || message; } catch (_) { /* not JSON */ }
      throw new APIError(response.status, message);
    }
    return body;
  }

  /** An element with attributes and children (strings become text nodes). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const oneDecimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

  /** 12,345; fractional values (/24 equivalents) keep one decimal below 100. */
  function number(x) {
    if (x === null || x === undefined || Number.isNaN(x)) return "–";
    return Math.abs(x) < 100 && !Number.isInteger(x) ? oneDecimal.format(x) : integer.format(x);
  }

  /** 0.4567 -> "45.7%". */
  function percent(x) {
    if (x === null || x === undefined || Number.isNaN(x)) return "–";
    const p = x * 100;
    return (p >= 10 || p === 0 ? integer.format(p) : oneDecimal.format(p)) + "%";
  }

  /** Seconds since 1970 or an ISO string -> Date. */
  function date(t) {
    return typeof t === "number" ? new Date(t * 1000) : new Date(t);
  }

  /** Unix seconds of an ISO time. */
  function seconds(iso) { return Math.floor(date(iso).getTime() / 1000); }

  /** "2014-12-22T16:15:00Z" -> "2014-12-22 16:15 UTC". */
  function time(t, withZone = true) {
    if (!t) return "–";
    const d = date(t);
    if (Number.isNaN(d.getTime())) return String(t);
    return d.toISOString().slice(0, 16).replace("T", " ") + (withZone ? " UTC" : "");
  }

  /** 9h 30m, 2d 4h, 45m. */
  function duration(s) {
    if (s === null || s === undefined) return "";
    s = Math.max(0, Math.round(s));
    const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
    if (d) return `${d}d ${h}h`;
    if (h) return m ? `${h}h ${m}m` : `${h}h`;
    return `${m}m`;
  }

  /** ISO 8601 with seconds, for query strings. */
  function iso(secondsValue) { return new Date(secondsValue * 1000).toISOString().replace(".000Z", "Z"); }

  const riskOrder = { severe: 0, significant: 1, low: 2, resistant: 3 };
  const riskTitles = {
    severe: "severe: 1 or 2 ASes connect it to the world",
    significant: "significant: 3 to 9 frontier ASes",
    low: "low: 10 to 40 frontier ASes",
    resistant: "resistant: more than 40 frontier ASes",
  };

  function riskPill(risk) {
    const band = riskOrder[risk] === undefined ? "unknown" : risk;
    return el("span", { class: `pill risk risk-${band}`, title: riskTitles[risk] || "", text: risk || "unknown" });
  }

  function asLink(asn, name, cls) {
    return el("a", { href: `/asns/${asn}`, class: cls || null, title: name || null }, `AS${asn}`);
  }

  function countryLink(cc) {
    return el("a", { href: `/countries/${encodeURIComponent(cc)}`, class: "cc" }, cc);
  }

  /** Fills the header's data time from /api/v1/health. */
  async function header() {
    const slot = document.getElementById("data-time");
    if (!slot) return null;
    try {
      const health = await api("/api/v1/health");
      slot.textContent = health.latest_data ? `Data to ${time(health.latest_data)}` : "No data stored yet";
      return health;
    } catch (e) {
      slot.textContent = `Server: ${e.message}`;
      return null;
    }
  }

  /**
   * Makes a table sortable: `columns` maps a header's data-key to a value getter, `render`
   * draws the rows (already sorted and filtered) into the tbody. Returns a redraw function
   * taking an optional row filter.
   */
  function sortableTable(table, rows, columns, render, initial) {
    const tbody = table.tBodies[0];
    let sort = initial || { key: Object.keys(columns)[0], dir: 1 };
    let filter = () => true;
    const heads = [...table.tHead.rows[0].cells];
    function draw() {
      const get = columns[sort.key] || (() => 0);
      const sorted = rows.filter(filter).sort((a, b) => {
        const x = get(a), y = get(b);
        const c = typeof x === "string" || typeof y === "string" ? String(x).localeCompare(String(y)) : x - y;
        return c * sort.dir || (columns._tie ? columns._tie(a, b) : 0);
      });
      for (const h of heads) {
        h.classList.toggle("sorted-asc", h.dataset.key === sort.key && sort.dir === 1);
        h.classList.toggle("sorted-desc", h.dataset.key === sort.key && sort.dir === -1);
        if (h.dataset.key === sort.key) h.setAttribute("aria-sort", sort.dir === 1 ? "ascending" : "descending");
        else h.removeAttribute("aria-sort");
      }
      tbody.replaceChildren(...(sorted.length ? sorted.map(render) : [emptyRow(heads.length, "Nothing matches.")]));
    }
    for (const h of heads) {
      if (!columns[h.dataset.key]) continue;
      h.tabIndex = 0;
      const click = () => {
        // Numbers sort largest first on the first click, names A to Z.
        const numeric = h.classList.contains("num") || h.dataset.numeric === "true";
        sort = sort.key === h.dataset.key ? { key: sort.key, dir: -sort.dir } : { key: h.dataset.key, dir: numeric ? -1 : 1 };
        draw();
      };
      h.addEventListener("click", click);
      h.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); click(); } });
    }
    draw();
    return (f) => { if (f) filter = f; draw(); };
  }

  function emptyRow(span, message) {
    return el("tr", { class: "empty-row" }, el("td", { colspan: span }, message));
  }

  /** A bar with a label: value in 0...1. */
  function barCell(value, label, cls) {
    const w = Math.max(0, Math.min(1, value || 0)) * 100;
    const bar = el("div", { class: `bar ${cls || ""}` });
    bar.append(el("span", { style: `width:${w.toFixed(1)}%` }));
    return el("div", { class: "bar-cell" }, bar, el("span", { class: "num" }, label));
  }

  function tile(label, value, sub, cls) {
    return el("div", { class: `tile ${cls || ""}` },
      el("div", { class: "label" }, label), el("div", { class: "value" }, value), sub ? el("div", { class: "sub" }, sub) : null);
  }

  /** Shows a failure in the page's status line. */
  function fail(message) {
    const status = document.getElementById("status");
    if (status) {
      status.textContent = message;
      status.className = "status-line alert";
    }
  }

  return {
    APIError, api, text, el, number, percent, date, seconds, time, duration, iso, riskOrder, riskPill, asLink, countryLink,
    header, sortableTable, emptyRow, barCell, tile, fail,
  };
})();
