// The overview: every country with routed networks, countries with open events first, a
// sortable ranking with a filter, the spread of risk bands, the open events.
"use strict";

(async () => {
  const B = Blackout;
  const { el } = B;
  const healthPromise = B.header();
  let list;
  try {
    list = await B.api("/api/v1/countries");
  } catch (e) {
    B.fail(`Could not read the countries: ${e.message}`);
    return;
  }
  const countries = list.countries || [];
  const status = document.getElementById("status");
  // A country whose every route is withdrawn has no census row: its open events add it.
  const health = await healthPromise;
  if (health && health.latest_data) {
    try {
      const r = await B.api(`/api/v1/events?from=${encodeURIComponent(health.latest_data)}&limit=1000`);
      const listed = new Set(countries.map((c) => c.country));
      const missing = new Map();
      for (const e of r.events || []) {
        if (!e.ongoing || !e.country || listed.has(e.country)) continue;
        missing.set(e.country, (missing.get(e.country) || 0) + 1);
      }
      for (const [cc, n] of missing) {
        let name = null;
        try { name = (await B.api(`/api/v1/countries/${cc}`)).name; } catch (_) { /* the code alone */ }
        countries.push({ country: cc, name, prefixes: 0, slash24s: 0, ipv6_prefixes: 0, risk: null, open_events: n, origins: 0,
                         providers: 0, offline: true });
      }
    } catch (_) { /* the census alone */ }
  }
  if (!countries.length) {
    status.textContent = "No census stored yet: ingest archives first (blackout ingest, watch or live).";
    return;
  }
  const totalSlash24s = countries.reduce((s, c) => s + (c.slash24s || 0), 0);
  const open = countries.filter((c) => c.open_events > 0);
  const openEvents = open.reduce((s, c) => s + c.open_events, 0);
  const severe = countries.filter((c) => c.risk === "severe").length;

  status.textContent = list.time ? `The census of the routing state at ${B.time(list.time)}.` : "The stored census.";
  document.getElementById("tiles").replaceChildren(
    B.tile("Countries", B.number(countries.filter((c) => !c.offline).length), "with routed networks"),
    B.tile("Open events", B.number(openEvents), open.length ? `in ${open.length} ${open.length === 1 ? "country" : "countries"}` : "none now",
      openEvents ? "alert" : ""),
    B.tile("IPv4 prefixes", B.number(countries.reduce((s, c) => s + (c.prefixes || 0), 0)), `${B.number(totalSlash24s)} /24s`),
    B.tile("Severe risk", B.number(severe), "1 or 2 frontier ASes"),
  );

  // Open events: one card per country, its open events' summaries.
  if (open.length) {
    const card = document.getElementById("open-card");
    card.hidden = false;
    const items = open.sort((a, b) => b.open_events - a.open_events || a.country.localeCompare(b.country)).map((c) => {
      const item = el("a", { class: "open-item", href: `/countries/${c.country}`, dataset: { country: c.country } },
        el("div", { class: "top" }, el("span", { class: "cc mono" }, c.country), c.name ? el("strong", {}, c.name) : null,
          el("span", { class: "pill open" }, `${c.open_events} open`)),
        el("div", { class: "summary muted" }, "Loading…"));
      // Each country's open events, for their summaries (a few requests, only for these countries).
      B.api(`/api/v1/events?country=${c.country}&limit=20`).then((r) => {
        const ongoing = (r.events || []).filter((e) => e.ongoing);
        // The country's own event before its origin ASes', an outage before instability.
        const first = ongoing.find((e) => e.kind === "outage" && e.asn === null) || ongoing.find((e) => e.kind === "outage")
          || ongoing.find((e) => e.asn === null) || ongoing[0];
        if (first && first.kind !== "outage") item.classList.add("instability");
        item.querySelector(".summary").textContent = first ? first.summary : `${c.open_events} open`;
        item.querySelector(".summary").classList.remove("muted");
      }).catch(() => { item.querySelector(".summary").textContent = `${c.open_events} open`; });
      return item;
    });
    document.getElementById("open-list").replaceChildren(...items);
  }

  // The spread of risk bands.
  const bands = ["severe", "significant", "low", "resistant"];
  const byBand = Object.fromEntries(bands.map((b) => [b, countries.filter((c) => c.risk === b).length]));
  document.getElementById("risk-card").hidden = false;
  document.getElementById("risk-strip").replaceChildren(...bands.filter((b) => byBand[b]).map((b) =>
    el("div", { class: `risk-${b}`, style: `flex:${byBand[b]}`, title: `${byBand[b]} ${b}` }, byBand[b] >= 3 ? String(byBand[b]) : "")));
  // A band's legend filters the ranking to it.
  document.getElementById("risk-legend").replaceChildren(...bands.map((b) =>
    el("button", { type: "button", class: "link-button legend-item", title: `Show the ${b} countries`,
                   onclick: () => { filter.value = filter.value === b ? "" : b; apply(); } },
      el("i", { class: `risk-${b}` }), `${b} ${byBand[b]}`)));

  // The ranking.
  const maxShare = Math.max(...countries.map((c) => (c.slash24s || 0) / (totalSlash24s || 1)));
  const table = document.getElementById("countries");
  const redraw = B.sortableTable(table, countries, {
    country: (c) => c.country,
    risk: (c) => B.riskOrder[c.risk] ?? 9,
    open_events: (c) => c.open_events,
    prefixes: (c) => c.prefixes,
    slash24s: (c) => c.slash24s,
    ipv6_prefixes: (c) => c.ipv6_prefixes,
    origins: (c) => c.origins,
    providers: (c) => c.providers,
    _tie: (a, b) => b.prefixes - a.prefixes || a.country.localeCompare(b.country),
  }, (c) => {
    const share = (c.slash24s || 0) / (totalSlash24s || 1);
    return el("tr", { class: c.open_events ? "has-open" : null, dataset: { country: c.country } },
      el("td", {}, B.countryLink(c.country), el("span", { class: "name" }, c.name || "")),
      el("td", {}, c.offline ? el("span", { class: "pill open", title: "no route visible: not in the census" }, "offline") : B.riskPill(c.risk)),
      el("td", { class: "num" }, c.open_events ? el("span", { class: "pill open" }, String(c.open_events)) : el("span", { class: "muted" }, "0")),
      el("td", { class: "num" }, B.number(c.prefixes)),
      el("td", { class: "hide-narrow" }, B.barCell(share / (maxShare || 1), `${B.number(c.slash24s)}`)),
      el("td", { class: "num hide-narrow" }, B.number(c.ipv6_prefixes)),
      el("td", { class: "num hide-narrow" }, B.number(c.origins)),
      el("td", { class: "num hide-narrow" }, B.number(c.providers)));
  }, { key: "open_events", dir: -1 });

  const hint = document.getElementById("count-hint");
  const filter = document.getElementById("filter");
  function apply() {
    const q = filter.value.trim().toLowerCase();
    const match = (c) => !q || c.country.toLowerCase().includes(q) || (c.name || "").toLowerCase().includes(q) || c.risk === q;
    redraw(match);
    const shown = countries.filter(match).length;
    hint.textContent = shown === countries.length ? `${countries.length} countries` : `${shown} of ${countries.length} countries`;
    const url = new URL(location.href);
    if (q) url.searchParams.set("q", filter.value.trim()); else url.searchParams.delete("q");
    history.replaceState(null, "", url);
  }
  filter.value = new URL(location.href).searchParams.get("q") || "";
  filter.addEventListener("input", apply);
  apply();
})();
