// The time chart of a country or an AS: the server draws it (the one chart renderer, as
// `blackout timeline --svg` draws it) and this inserts the SVG inline, then adds what a
// browser can: a tooltip for the nearest bin, drag to zoom, range buttons.
//
// The SVG's contract (Pipeline/Charts): the root <svg class="timeline-chart"> carries
// data-from, data-to (ISO) and data-plot-left, data-plot-right (user units); every point is
// <circle class="point" data-series data-time data-value>; events are
// <rect class="event outage|instability" data-start data-end> with a <title>.
"use strict";

const BlackoutChart = (() => {
  const B = Blackout;
  const labels = { visible: "IPv4 prefixes", slash24s: "/24s", visible6: "IPv6 prefixes" };
  const HOUR = 3600, DAY = 86400;
  const spans = { "6h": 6 * HOUR, "24h": DAY, "7d": 7 * DAY };

  /** The bin for a span: 5 minutes up to 3 days, hours up to 31 days, else days. */
  function binFor(span) {
    if (span <= 3 * DAY) return "5m";
    if (span <= 31 * DAY) return "1h";
    return "1d";
  }
  const binSeconds = { "5m": 300, "1h": HOUR, "1d": DAY };

  /**
   * Mounts the chart of `base` (such as "/api/v1/countries/KP") in `host`, with the range
   * buttons in `buttons` and a line of notes in `note`. `latest` is the latest data time
   * (Unix seconds). Returns { show(from, to) } for other parts of the page (an event's
   * "show on the chart").
   */
  function mount({ host, buttons, note, hint, base, latest, first }) {
    // A bin starting at `latest` is included: the range is [from, to).
    const end = Math.ceil((latest + 1) / 300) * 300;
    const start = first !== null && first !== undefined ? Math.floor(first / 300) * 300 : end - 7 * DAY;
    let current = null;
    let request = 0;
    let drawnWidth = 0;

    // Drawn again at the new width when the window changes much.
    let resizing = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizing);
      resizing = setTimeout(() => {
        if (current && Math.abs(host.clientWidth - drawnWidth) > 60) load(current, false);
      }, 250);
    });

    function rangeOf(name) {
      if (name === "all") return { from: start, to: end, name };
      const span = spans[name] || DAY;
      return { from: Math.max(start, end - span), to: end, name };
    }

    function pressed(name) {
      for (const b of buttons.querySelectorAll("button")) b.setAttribute("aria-pressed", String(b.dataset.range === name));
    }

    function remember(range) {
      const url = new URL(location.href);
      url.searchParams.delete("range");
      url.searchParams.delete("from");
      url.searchParams.delete("to");
      if (range.name === "custom") {
        url.searchParams.set("from", B.iso(range.from));
        url.searchParams.set("to", B.iso(range.to));
      } else {
        url.searchParams.set("range", range.name);
      }
      history.replaceState(null, "", url);
    }

    async function load(range, save = true) {
      const span = Math.max(300, range.to - range.from);
      const bin = binFor(span);
      // Whole bins: the chart and the timeline API cut the range the same way.
      const w = binSeconds[bin];
      const from = Math.floor(range.from / w) * w, to = Math.ceil(range.to / w) * w;
      current = { ...range, from, to, bin };
      pressed(range.name);
      if (save) remember(current);
      const mine = ++request;
      host.classList.add("loading");
      const query = `from=${encodeURIComponent(B.iso(from))}&to=${encodeURIComponent(B.iso(to))}&bin=${bin}`;
      host.dataset.from = B.iso(from);
      host.dataset.to = B.iso(to);
      host.dataset.bin = bin;
      host.dataset.query = query;
      // Drawn at the width it is shown (in steps of 20 px), so its text is not scaled.
      const width = Math.max(320, Math.min(2400, Math.floor((host.clientWidth || 960) / 20) * 20));
      const height = width < 640 ? 460 : 420;
      drawnWidth = width;
      let svgText;
      try {
        svgText = await B.text(`${base}/chart.svg?${query}&width=${width}&height=${height}`);
      } catch (e) {
        if (mine !== request) return;
        host.classList.remove("loading");
        host.replaceChildren(B.el("div", { class: "message" }, `The chart could not be drawn: ${e.message}`));
        host.dataset.state = "error";
        return;
      }
      if (mine !== request) return;
      insert(svgText);
      host.classList.remove("loading");
      const points = host.querySelectorAll("circle.point").length;
      const series = new Set([...host.querySelectorAll("circle.point")].map((c) => c.dataset.series)).size;
      if (hint) hint.textContent = `${B.time(from, false)} to ${B.time(to)}`;
      if (note) note.textContent = `${bin === "5m" ? "5-minute" : bin === "1h" ? "hourly" : "daily"} bins · ${B.number(series ? points / series : 0)} per line`;
      host.dataset.state = "ready";
      host.dispatchEvent(new CustomEvent("chart-ready", { bubbles: true }));
    }

    /** Parses the SVG and puts it in the page, inline (styleable, and testable in the DOM). */
    function insert(svgText) {
      const doc = new DOMParser().parseFromString(svgText, "image/svg+xml");
      const root = doc.documentElement;
      if (root.nodeName !== "svg") {
        host.replaceChildren(B.el("div", { class: "message" }, "The chart could not be read."));
        return;
      }
      const svg = document.importNode(root, true);
      svg.removeAttribute("width");
      svg.removeAttribute("height");
      host.replaceChildren(svg);
      host.classList.add("zoomable");
      index(svg);
    }

    // The points of the first panel, by time, for the tooltip.
    let times = [], byTime = new Map(), panel = null, events = [];

    function index(svg) {
      panel = svg.matches("svg.timeline-chart") ? svg : svg.querySelector("svg.timeline-chart");
      byTime = new Map();
      for (const c of svg.querySelectorAll("circle.point")) {
        const t = B.seconds(c.dataset.time);
        if (!byTime.has(t)) byTime.set(t, []);
        byTime.get(t).push(c);
      }
      times = [...byTime.keys()].sort((a, b) => a - b);
      events = [...svg.querySelectorAll("rect.event")].map((r) => ({
        kind: r.classList.contains("outage") ? "outage" : "instability",
        start: B.seconds(r.dataset.start),
        end: r.dataset.end ? B.seconds(r.dataset.end) : Infinity,
        summary: (r.querySelector("title") || {}).textContent || "",
      }));
    }

    /** The plot's horizontal extent on screen and its time range. */
    function geometry() {
      if (!panel) return null;
      const box = panel.getBoundingClientRect();
      const hostBox = host.getBoundingClientRect();
      const vb = panel.viewBox && panel.viewBox.baseVal && panel.viewBox.baseVal.width ? panel.viewBox.baseVal.width : box.width;
      const k = box.width / vb;
      const left = box.left - hostBox.left + Number(panel.dataset.plotLeft || 0) * k;
      const right = box.left - hostBox.left + Number(panel.dataset.plotRight || vb) * k;
      const from = B.seconds(panel.dataset.from), to = B.seconds(panel.dataset.to);
      if (!(right > left) || !(to > from)) return null;
      return { left, right, from, to, x: (t) => left + ((t - from) / (to - from)) * (right - left),
               t: (x) => from + ((Math.min(right, Math.max(left, x)) - left) / (right - left)) * (to - from) };
    }

    // Tooltip and guide line.
    const tip = B.el("div", { class: "tooltip", hidden: true });
    const guide = B.el("div", { class: "guide", hidden: true });
    const selection = B.el("div", { class: "selection", hidden: true });

    function nearest(t) {
      let lo = 0, hi = times.length - 1;
      if (hi < 0) return null;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (times[mid] < t) lo = mid + 1; else hi = mid;
      }
      if (lo > 0 && t - times[lo - 1] < times[lo] - t) lo -= 1;
      return times[lo];
    }

    function hover(clientX, clientY) {
      const g = geometry();
      const hostBox = host.getBoundingClientRect();
      const x = clientX - hostBox.left;
      if (!g || x < g.left - 4 || x > g.right + 4) { hideTip(); return; }
      const t = nearest(g.t(x));
      if (t === null) { hideTip(); return; }
      const lines = [B.time(t)];
      for (const c of byTime.get(t)) {
        lines.push(`${(labels[c.dataset.series] || c.dataset.series).padEnd(14)} ${B.number(Number(c.dataset.value))}`);
      }
      for (const e of events) if (t >= e.start && t <= e.end) lines.push(e.summary);
      tip.textContent = lines.join("\n");
      ensureOverlays();
      tip.hidden = false;
      guide.hidden = false;
      const gx = g.x(t);
      guide.style.left = `${gx}px`;
      const w = tip.offsetWidth;
      tip.style.left = `${gx + 12 + w > hostBox.width ? Math.max(0, gx - 12 - w) : gx + 12}px`;
      tip.style.top = `${Math.max(0, clientY - hostBox.top - 20)}px`;
    }

    function hideTip() { tip.hidden = true; guide.hidden = true; }

    function ensureOverlays() {
      for (const n of [selection, guide, tip]) if (n.parentNode !== host) host.append(n);
    }

    // Drag to zoom.
    let drag = null;
    host.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || !geometry()) return;
      const x = e.clientX - host.getBoundingClientRect().left;
      const g = geometry();
      if (x < g.left || x > g.right) return;
      drag = { x0: x, x1: x, id: e.pointerId };
      host.setPointerCapture(e.pointerId);
      e.preventDefault();
    });
    host.addEventListener("pointermove", (e) => {
      if (drag && e.pointerId === drag.id) {
        const g = geometry();
        drag.x1 = Math.min(g.right, Math.max(g.left, e.clientX - host.getBoundingClientRect().left));
        ensureOverlays();
        selection.hidden = false;
        selection.style.left = `${Math.min(drag.x0, drag.x1)}px`;
        selection.style.width = `${Math.abs(drag.x1 - drag.x0)}px`;
      }
      if (e.pointerType === "mouse" || drag) hover(e.clientX, e.clientY);
    });
    host.addEventListener("pointerleave", () => { if (!drag) hideTip(); });
    function endDrag(e) {
      if (!drag || e.pointerId !== drag.id) return;
      const d = drag;
      drag = null;
      selection.hidden = true;
      if (Math.abs(d.x1 - d.x0) < 6) return;
      const g = geometry();
      const a = g.t(Math.min(d.x0, d.x1)), b = g.t(Math.max(d.x0, d.x1));
      show(a, Math.max(b, a + 1800));
    }
    host.addEventListener("pointerup", endDrag);
    host.addEventListener("pointercancel", (e) => { if (drag && e.pointerId === drag.id) { drag = null; selection.hidden = true; } });

    for (const b of buttons.querySelectorAll("button")) {
      b.addEventListener("click", () => load(rangeOf(b.dataset.range)));
    }

    /** Shows [from, to) (Unix seconds), clamped to the data. */
    function show(from, to) {
      from = Math.max(start, Math.floor(from));
      to = Math.min(end, Math.ceil(to));
      if (to <= from) return;
      load({ from, to, name: "custom" });
    }

    // The range in the address, else everything up to 7 days, else the last 7 days.
    const params = new URL(location.href).searchParams;
    const qf = params.get("from"), qt = params.get("to"), qr = params.get("range");
    if (qf && qt && !Number.isNaN(B.seconds(qf)) && !Number.isNaN(B.seconds(qt)) && B.seconds(qt) > B.seconds(qf)) {
      load({ from: B.seconds(qf), to: B.seconds(qt), name: "custom" }, false);
    } else if (qr && (qr === "all" || spans[qr])) {
      load(rangeOf(qr), false);
    } else {
      load(rangeOf(end - start <= 7 * DAY ? "all" : "7d"), false);
    }

    return { show, get current() { return current; } };
  }

  return { mount, binFor };
})();
