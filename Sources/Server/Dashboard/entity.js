// The country page (/countries/{CC}) and the AS page (/asns/{ASN}): the census figures, the
// chart of visible prefixes, /24s and IPv6 over time, the events with their evidence, the
// international providers and the origin ASes.
"use strict";

(async () => {
  const B = Blackout;
  const { el } = B;
  const page = document.body.dataset.page;
  const key = decodeURIComponent(location.pathname.split("/").filter(Boolean)[1] || "");
  const base = page === "country" ? `/api/v1/countries/${encodeURIComponent(key)}` : `/api/v1/asns/${encodeURIComponent(key)}`;

  const healthPromise = B.header();
  let subject;
  try {
    subject = await B.api(base);
  } catch (e) {
    B.fail(e.status === 404 ? `No data for ${page === "country" ? key : "AS" + key}: ${e.message}` : `Could not read ${key}: ${e.message}`);
    document.getElementById("chart-card").hidden = true;
    return;
  }
  const health = await healthPromise;
  // Newest first; at the same start, the subject's own event before its origin ASes'.
  const events = (subject.events || []).slice().sort((a, b) =>
    B.seconds(b.start) - B.seconds(a.start) || (a.asn === null ? 0 : 1) - (b.asn === null ? 0 : 1));

  // Title, risk and the state now.
  if (page === "country") {
    document.title = `Blackout: ${subject.name || key} (${key})`;
    document.getElementById("title").replaceChildren(subject.name || key, el("span", { class: "code" }, key));
    if (subject.risk) document.getElementById("risk").replaceChildren(B.riskPill(subject.risk));
  } else {
    document.title = `Blackout: AS${subject.asn}${subject.name ? " " + subject.name : ""}`;
    document.getElementById("title").replaceChildren(`AS${subject.asn}`, subject.name ? el("span", { class: "code" }, subject.name) : "");
    if (subject.country) {
      document.getElementById("crumbs").append(" / ", el("a", { href: `/countries/${subject.country}` }, subject.country));
    }
  }
  const status = document.getElementById("status");
  const open = events.filter((e) => e.ongoing);
  // The subject's own events first (a country's page also lists its origin ASes' events).
  const own = (e) => page === "country" ? e.asn === null || e.asn === undefined : true;
  if (open.length) {
    const worst = open.find((e) => own(e) && e.kind === "outage") || open.find(own) || open[0];
    status.replaceChildren(el("span", { class: "pill open" }, worst.kind === "outage" ? "Outage now" : "Unstable now"), " ", worst.summary);
    status.className = `status-line ${worst.kind === "outage" ? "alert" : "warn"}`;
  } else if (events.length) {
    status.replaceChildren(el("span", { class: "pill quiet" }, "No open events"), " Latest: ", (events.find(own) || events[0]).summary);
    status.className = "status-line";
  } else {
    status.replaceChildren(el("span", { class: "pill quiet" }, "No open events"), " None recorded.");
    status.className = "status-line";
  }

  // The figures.
  const tiles = document.getElementById("tiles");
  if (page === "country" && subject.prefixes === undefined) {
    // No census row: nothing of the country is routed now. Its latest bin says how much is visible.
    let last = null;
    try {
      const t = await B.api(`${base}/timeline`);
      last = t.points && t.points.length ? t.points[t.points.length - 1] : null;
    } catch (_) { /* no bins either */ }
    const at = last ? `bin of ${B.time(last.time)}` : "no bins";
    tiles.replaceChildren(
      B.tile("IPv4 prefixes", last ? B.number(last.visible) : "–", at, last && last.visible === 0 ? "alert" : ""),
      B.tile("/24s", last ? B.number(last.slash24s) : "–", at),
      B.tile("IPv6 prefixes", last ? B.number(last.visible6) : "–", at),
      B.tile("Census", "none", "no route of it seen: no providers, no risk band"),
      B.tile("Open events", B.number(open.length), open.length ? "ongoing now" : "none now", open.length ? "alert" : ""),
    );
  } else if (page === "country") {
    const providers = subject.providers || [];
    tiles.replaceChildren(
      B.tile("IPv4 prefixes", B.number(subject.prefixes), subject.census_time ? `at ${B.time(subject.census_time)}` : null),
      B.tile("/24s", B.number(subject.slash24s), "IPv4 address space"),
      B.tile("IPv6 prefixes", B.number(subject.ipv6_prefixes)),
      B.tile("Origin ASes", B.number((subject.origin_asns || subject.origins || []).length)),
      B.tile("Providers", B.number(providers.length), providers[0] ? `top: AS${providers[0].asn}, ${B.percent(providers[0].dependence)} dependence` : "international"),
      B.tile("Open events", B.number(open.length), open.length ? "ongoing now" : "none now", open.length ? "alert" : ""),
    );
  } else {
    const providers = subject.providers || [];
    tiles.replaceChildren(
      B.tile("Prefixes", B.number(subject.prefixes)),
      B.tile("Country", subject.country ? B.countryLink(subject.country) : "–"),
      B.tile("Providers", B.number(providers.length), "international"),
      B.tile("Open events", B.number(open.length), open.length ? "ongoing now" : "none now", open.length ? "alert" : ""),
    );
  }

  // The chart, over the stored data's range.
  const latest = Math.max(health && health.latest_data ? B.seconds(health.latest_data) : 0, subject.census_time ? B.seconds(subject.census_time) : 0,
    ...events.map((e) => B.seconds(e.end || e.start)));
  const first = await firstDataTime(base, latest);
  const chart = BlackoutChart.mount({
    host: document.getElementById("chart"), buttons: document.getElementById("ranges"),
    note: document.getElementById("chart-note"), hint: document.getElementById("range-hint"), base, latest, first,
  });

  // The events, newest first, with their evidence.
  const list = document.getElementById("events");
  document.getElementById("events-hint").textContent = events.length ? `${events.length} recent, newest first` : "";
  list.replaceChildren(...(events.length ? events.map((e, i) => eventCard(e, i === 0 || e.ongoing, chart))
    : [el("p", { class: "muted" }, "No outage or instability recorded.")]));

  if (page === "country") {
    providersTable(subject.providers || []);
    originsTable(subject.origins || []);
  } else {
    const chips = (subject.providers || []).map((p) => typeof p === "object" ? p : { asn: p });
    document.getElementById("providers").replaceChildren(...(chips.length
      ? chips.map((p) => B.asLink(p.asn, p.name, "chip")) : [el("span", { class: "muted" }, "None recorded.")]));
  }

  /** The first stored bin's time, from a coarse timeline of the last year (null if unknown). */
  async function firstDataTime(base, latest) {
    const to = B.iso(Math.ceil((latest + 1) / 86400) * 86400);
    for (const [days, bin] of [[366, "1d"], [31, "1h"]]) {
      try {
        const from = B.iso(Math.floor(latest / 86400) * 86400 - days * 86400);
        const t = await B.api(`${base}/timeline?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&bin=${bin}`);
        if (t.points && t.points.length) return B.seconds(t.points[0].time);
      } catch (_) { /* try a narrower range */ }
    }
    return null;
  }

  function eventCard(e, expanded, chart) {
    const end = e.end ? B.time(e.end) : "ongoing";
    const head = el("div", { class: "head" },
      el("span", { class: `pill kind-${e.kind}` }, e.kind === "outage" ? "Outage" : "Instability"),
      e.severity ? el("span", { class: "pill closed" }, e.severity) : null,
      el("span", { class: e.ongoing ? "pill open" : "pill closed" }, e.ongoing ? "ongoing" : "ended"),
      el("span", { class: "pill closed" }, e.family === "ipv6" ? "IPv6" : "IPv4"),
      e.asn ? B.asLink(e.asn, null) : null,
      el("span", { class: "when" }, `${B.time(e.start)} → ${end} · ${B.duration(e.duration_seconds)}`));
    const rows = [
      ["Lost", e.fraction_lost !== undefined ? `${B.percent(e.fraction_lost)} of a baseline of ${B.number(e.baseline)}` : null],
      ["Prefixes lost", chips(e.prefixes_lost, (p) => el("span", { class: "chip" }, p))],
      ["Origins affected", chips(e.origins_affected, (a) => B.asLink(a, null, "chip"))],
      ["Origins unaffected", chips(e.origins_unaffected, (a) => B.asLink(a, null, "chip"))],
      ["Providers lost", chips(e.providers_lost, (a) => B.asLink(a, null, "chip"))],
      ["Peers", chips(e.peers, (p) => el("span", { class: "chip" }, p))],
      ["Collectors", chips(e.collectors, (c) => el("span", { class: "chip" }, c))],
      ["Flaps, dips", e.kind === "instability" || e.flaps || e.dips ? `${B.number(e.flaps)} flaps, ${B.number(e.dips)} dips` : null],
    ].filter(([, v]) => v !== null);
    const evidence = el("dl", { class: "evidence" }, ...rows.flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
    const zoom = el("button", { type: "button", class: "link-button", onclick: (click) => {
      click.preventDefault();
      const s = B.seconds(e.start), t = e.end ? B.seconds(e.end) : s + (e.duration_seconds || 3600);
      const pad = Math.max(1800, (t - s) / 3);
      chart.show(s - pad, t + pad);
      document.getElementById("chart-card").scrollIntoView({ behavior: "smooth", block: "start" });
    } }, "show on the chart");
    const details = el("details", { open: expanded }, el("summary", {}, "Evidence", zoom), evidence);
    return el("article", { class: `event ${e.kind}`, dataset: { kind: e.kind, start: e.start } },
      head, el("p", { class: "summary" }, e.summary), details);
  }

  function chips(values, make) {
    if (!values || !values.length) return el("span", { class: "muted" }, "none");
    const shown = values.slice(0, 60);
    return el("div", { class: "chips" }, ...shown.map(make), values.length > shown.length ? `and ${values.length - shown.length} more` : null);
  }

  function providersTable(providers) {
    const table = document.getElementById("providers");
    if (!providers.length) {
      table.tBodies[0].replaceChildren(B.emptyRow(4, "No international provider seen."));
      return;
    }
    B.sortableTable(table, providers, {
      asn: (p) => p.asn, prefixes: (p) => p.prefixes, address_share: (p) => p.address_share, dependence: (p) => p.dependence,
    }, (p) => el("tr", { dataset: { asn: p.asn } },
      el("td", {}, B.asLink(p.asn, p.name), p.country ? el("span", { class: "muted" }, ` ${p.country}`) : null,
        p.name ? el("div", { class: "asname", title: p.name }, p.name) : null),
      el("td", { class: "num" }, B.number(p.prefixes)),
      el("td", {}, B.barCell(p.address_share, B.percent(p.address_share))),
      el("td", {}, B.barCell(p.dependence, B.percent(p.dependence), "dep"))),
    { key: "dependence", dir: -1 });
  }

  function originsTable(origins) {
    const table = document.getElementById("origins");
    document.getElementById("origins-hint").textContent = origins.length ? `${origins.length} ASes originate the country's prefixes` : "";
    if (!origins.length) {
      table.tBodies[0].replaceChildren(B.emptyRow(3, "No origin AS seen."));
      return;
    }
    B.sortableTable(table, origins, {
      asn: (o) => o.asn, prefixes: (o) => o.prefixes, providers: (o) => (o.providers || []).length,
    }, (o) => el("tr", { dataset: { asn: o.asn } },
      el("td", {}, B.asLink(o.asn, o.name), o.name ? el("div", { class: "asname", title: o.name }, o.name) : null),
      el("td", { class: "num" }, B.number(o.prefixes)),
      el("td", {}, el("div", { class: "chips" }, ...(o.providers || []).slice(0, 8).map((a) => B.asLink(a, null, "chip"))))),
    { key: "prefixes", dir: -1 });
  }
})();
