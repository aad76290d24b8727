// The SLO dashboard: fetches data.json (relative to the page) every
// refresh_seconds it names (2 s until it is read) and draws one card per
// objective, in the server's order (the worst budget first); the members
// of a family (entries with labels) are cards grouped under the family's
// name (and service). Entries of a fleet name their service, and the page
// filters them by service and by the severity of their firing tiers. While
// data.json fails, a banner says why and the page keeps retrying. A card
// lists its corrections in the window (shaded on its chart), names a
// calendar objective's period and counts a time-slice objective's slices,
// its chart drawn in slices. Every string from the server is set with
// textContent, never parsed as HTML.
"use strict";

let refreshMs = 2000; // how long to wait between reads: the data's refresh_seconds once read
const cards = new Map(); // card key -> card element
const groups = new Map(); // group key -> group element
let lastData = null; // the last data drawn, redrawn when a filter changes

// labelText spells a member's labels: route=POST /pay, tenant=acme.
function labelText(labels) {
  return Object.keys(labels).sort().map((k) => k + "=" + labels[k]).join(", ");
}

// groupKey names a family: its service and name.
function groupKey(slo) {
  return (slo.service || "") + "\u001f" + slo.name;
}

// cardKey names an entry: its service and objective, and for a member its
// labels.
function cardKey(slo) {
  return slo.labels ? groupKey(slo) + "\u001f" + labelText(slo.labels) : groupKey(slo);
}

// filters returns the chosen service and firing severity ("" for any).
function filters() {
  return {
    service: document.getElementById("service-filter").value,
    severity: document.getElementById("severity-filter").value,
  };
}

// shown reports whether an entry passes the filters.
function shown(slo, f) {
  if (f.service && (slo.service || "") !== f.service) return false;
  if (f.severity && !slo.tiers.some((t) => t.firing && t.severity === f.severity)) return false;
  return true;
}

// fillSelect sets the options of a filter (the first, "any", kept), keeping
// the choice when it is still offered.
function fillSelect(select, values, label) {
  const chosen = select.value;
  const any = select.options[0];
  const options = [any];
  for (const v of values) {
    const o = document.createElement("option");
    o.value = v;
    o.textContent = label(v);
    options.push(o);
  }
  select.replaceChildren(...options);
  select.value = values.includes(chosen) ? chosen : "";
}

// renderFilters offers the services and severities of the data; the
// filters show only for a fleet (entries naming their service).
function renderFilters(slos) {
  const services = [...new Set(slos.map((s) => s.service).filter((s) => s))].sort();
  const severities = [...new Set(slos.flatMap((s) => s.tiers.map((t) => t.severity)))].sort();
  document.getElementById("filters").hidden = services.length === 0;
  fillSelect(document.getElementById("service-filter"), services, (v) => v);
  fillSelect(document.getElementById("severity-filter"), severities, (v) => v + " firing");
}

// setBanner shows why the data cannot be read, or hides the banner.
function setBanner(text) {
  const banner = document.getElementById("banner");
  banner.textContent = text;
  banner.hidden = !text;
  if (text) document.body.dataset.error = "true";
  else delete document.body.dataset.error;
}

function fmtPercent(x, digits) {
  return (100 * x).toFixed(digits) + "%";
}

function fmtDuration(seconds) {
  if (seconds === null || seconds === undefined) return "never (not burning)";
  if (seconds <= 0) return "exhausted";
  const units = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
  const parts = [];
  let rest = Math.round(seconds);
  for (const [name, size] of units) {
    if (rest >= size || (name === "s" && parts.length === 0)) {
      parts.push(Math.floor(rest / size) + name);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.join(" ");
}

function fmtWindow(seconds) {
  const units = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
  for (const [name, size] of units) {
    if (seconds >= size && seconds % size === 0) return seconds / size + name;
  }
  // Scaled windows of short objectives: 70s, 2.5s, 417ms.
  if (seconds < 10) return Math.round(seconds * 1000) + "ms";
  return fmtDuration(seconds);
}

function fmtBurn(x) {
  return x >= 100 ? x.toFixed(0) : x.toFixed(2);
}

function cell(row, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function points(values, lo, hi) {
  if (values.length === 0) return "";
  const n = Math.max(values.length - 1, 1);
  return values.map((v, i) => {
    const x = (300 * i) / n;
    const y = 120 - (120 * (v - lo)) / (hi - lo);
    return x.toFixed(2) + "," + y.toFixed(2);
  }).join(" ");
}

function drawChart(card, history) {
  // Overspending past -100% is drawn at -100%: the big number tells how far.
  const remaining = (history.remaining || []).map((v) => Math.max(v, -1));
  const ideal = history.ideal || [];
  const lo = Math.min(0, ...remaining, ...ideal);
  const hi = Math.max(1, ...remaining, ...ideal);
  card.querySelector("polyline.actual").setAttribute("points", points(remaining, lo, hi));
  card.querySelector("polyline.ideal").setAttribute("points", points(ideal, lo, hi));
  const zeroY = 120 - (120 * (0 - lo)) / (hi - lo);
  const zero = card.querySelector("line.zero");
  zero.setAttribute("y1", zeroY.toFixed(2));
  zero.setAttribute("y2", zeroY.toFixed(2));
}

// fmtUTC spells an instant to the minute, in UTC: 2026-12-05 02:00 UTC.
function fmtUTC(iso) {
  return new Date(iso).toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

// fmtCount spells a count of slices: whole, or to a tenth when averaged.
function fmtCount(x) {
  return Number.isInteger(x) ? x.toLocaleString() : x.toFixed(1);
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July",
  "August", "September", "October", "November", "December"];

// periodText names a calendar objective's current period and when it
// resets: "month of December 2026, resets in 13d 18h". The period's date is
// read as written (in the objective's time zone); its kind, week, month or
// quarter, from its length.
function periodText(slo) {
  const [y, m, d] = slo.period_start.slice(0, 10).split("-").map(Number);
  const days = Math.round((Date.parse(slo.period_end) - Date.parse(slo.period_start)) / 86400000);
  let name;
  if (days <= 7) name = "week of " + d + " " + MONTHS[m - 1] + " " + y;
  else if (days <= 31) name = "month of " + MONTHS[m - 1] + " " + y;
  else name = "quarter " + (Math.floor((m - 1) / 3) + 1) + " of " + y;
  const left = (Date.parse(slo.period_end) - Date.parse(slo.time)) / 1000;
  return name + ", resets " + (left > 0 ? "in " + fmtDuration(left) : "now");
}

// drawCorrections shades the corrected periods on the chart. Point i of the
// chart is the end of bucket i, evenly spaced, so a time maps to x linearly
// from the first bucket's end to the last's.
function drawCorrections(card, slo) {
  const h = slo.history;
  const n = h.remaining.length - 1;
  const rects = [];
  if (n >= 1 && h.bucket_seconds > 0) {
    const first = Date.parse(h.start) / 1000 + h.bucket_seconds;
    const x = (iso) => Math.max(0, Math.min(300, (300 * (Date.parse(iso) / 1000 - first)) / (n * h.bucket_seconds)));
    for (const c of slo.corrections || []) {
      const x1 = x(c.start);
      const x2 = x(c.end);
      if (x2 <= x1) continue;
      const r = document.createElementNS("http://www.w3.org/2000/svg", "rect");
      r.setAttribute("class", "corrected");
      r.setAttribute("x", x1.toFixed(2));
      r.setAttribute("width", (x2 - x1).toFixed(2));
      r.setAttribute("y", "0");
      r.setAttribute("height", "120");
      rects.push(r);
    }
  }
  card.querySelector("svg.chart g.corrected").replaceChildren(...rects);
}

// renderCorrections lists the corrections in the window: the active ones
// first, highlighted, then the past ones, the latest first.
function renderCorrections(card, corrections) {
  const list = corrections || [];
  const ordered = [...list.filter((c) => c.active), ...list.filter((c) => !c.active).reverse()];
  const items = ordered.map((c) => {
    const li = document.createElement("li");
    if (c.active) {
      li.className = "active";
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = "active";
      li.appendChild(badge);
    }
    const reason = document.createElement("span");
    reason.className = "reason";
    reason.textContent = c.reason || "no reason given";
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = fmtUTC(c.start) + " – " + fmtUTC(c.end) + (c.recurring ? " (weekly)" : "");
    li.append(reason, when);
    return li;
  });
  const box = card.querySelector(".corrections");
  box.querySelector("ul").replaceChildren(...items);
  box.hidden = items.length === 0;
}

function render(card, slo) {
  card.dataset.slo = slo.name;
  card.dataset.service = slo.service || "";
  // A member's card is named by its labels; its group shows the name and
  // description.
  card.querySelector(".name").textContent = slo.labels ? labelText(slo.labels) : slo.name;
  card.querySelector(".service").textContent = slo.labels ? "" : slo.service || "";
  card.querySelector(".description").textContent = slo.labels ? "" : slo.description || "";
  card.classList.toggle("nodata", !!slo.no_data);

  const firing = slo.tiers.filter((t) => t.firing);
  const state = card.querySelector(".state");
  if (slo.no_data) {
    state.textContent = "no data yet";
    state.className = "state nodata";
  } else if (slo.is_budget_exhausted) {
    state.textContent = "budget exhausted";
    state.className = "state exhausted";
  } else if (firing.length > 0) {
    state.textContent = firing[0].severity + " alert firing";
    state.className = "state firing";
  } else {
    state.textContent = "ok";
    state.className = "state ok";
  }

  const remaining = slo.error_budget_remaining;
  card.querySelector(".remaining").textContent = slo.no_data ? "no data yet" : fmtPercent(remaining, Math.abs(remaining) >= 10 ? 0 : 1);
  card.querySelector(".budget .label").hidden = !!slo.no_data;
  const fill = card.querySelector(".fill");
  fill.style.width = slo.no_data ? "0%" : fmtPercent(Math.max(0, Math.min(1, remaining)), 2);
  fill.className = "fill" + (remaining <= 0.25 ? " bad" : remaining <= 0.5 ? " warn" : "");

  // A source without history (or no data yet) has no chart to draw.
  const charted = !slo.no_data && slo.history.remaining.length > 0;
  card.querySelector("svg.chart").style.display = charted ? "" : "none";
  card.querySelector(".legend").hidden = !charted;
  drawChart(card, slo.history);
  // A time-slice objective's chart counts its budget in slices.
  card.querySelector(".legend .what").textContent = slo.history.unit === "slices" ? "remaining, in slices" : "remaining";
  drawCorrections(card, slo);
  const span = slo.history.remaining.length * slo.history.bucket_seconds;
  card.querySelector(".window").textContent = slo.period_start ? periodText(slo)
    : span < slo.window_seconds - slo.history.bucket_seconds
      ? "since " + new Date(slo.history.start).toLocaleString() + " (window " + fmtWindow(slo.window_seconds) + ")"
      : "over " + fmtWindow(slo.window_seconds);

  card.querySelector(".ratio").textContent = fmtPercent(slo.success_ratio, 3);
  const ratio = card.querySelector(".ratio");
  ratio.className = "ratio" + (slo.breached ? " hot" : "");
  card.querySelector(".target").textContent = fmtPercent(slo.target, 3);
  card.querySelector(".events").textContent = slo.total.toLocaleString() + " (" + slo.failures.toLocaleString() + " bad)";
  card.querySelector(".tte").textContent = fmtDuration(slo.time_to_exhaustion_seconds);
  const slices = card.querySelector(".slices");
  slices.textContent = slo.slices
    ? fmtCount(slo.slices.good) + " of " + fmtCount(slo.slices.total) + " good (" + fmtCount(slo.slices.budget) + " bad allowed)"
    : "";
  slices.hidden = !slo.slices;
  card.querySelector(".slices-label").hidden = !slo.slices;
  renderCorrections(card, slo.corrections);

  const burns = card.querySelector("table.burns tbody");
  burns.replaceChildren();
  for (const b of slo.burn_rates) {
    const row = document.createElement("tr");
    cell(row, fmtWindow(b.window_seconds));
    cell(row, fmtBurn(b.burn_rate), b.burn_rate >= slo.burn_rate_threshold ? "hot" : "");
    cell(row, "x" + slo.burn_rate_threshold);
    burns.appendChild(row);
  }
  card.querySelector("table.burns").hidden = slo.burn_rates.length === 0;

  const tiers = card.querySelector("table.tiers tbody");
  tiers.replaceChildren();
  for (const t of slo.tiers) {
    const row = document.createElement("tr");
    row.className = t.firing ? "firing" : "";
    row.dataset.severity = t.severity;
    cell(row, t.severity);
    cell(row, fmtWindow(t.long_window_seconds) + " / " + fmtWindow(t.short_window_seconds));
    cell(row, t.factor ? "x" + t.factor : "firing"); // a factor of 0: unknown (a tier seen firing)
    cell(row, fmtBurn(t.long_burn_rate) + " / " + fmtBurn(t.short_burn_rate),
      t.long_burn_rate >= t.factor && t.short_burn_rate >= t.factor ? "hot" : "");
    cell(row, t.firing ? "FIRING" : "ok");
    tiers.appendChild(row);
  }
  card.querySelector("table.tiers").hidden = slo.tiers.length === 0;
}

function renderActions(actions) {
  const box = document.getElementById("actions");
  if (box.dataset.drawn) return;
  box.dataset.drawn = "1";
  for (const a of actions || []) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = a.label;
    button.addEventListener("click", async () => {
      try {
        const res = await fetch(a.url, { method: a.method || "POST" });
        setStatus(res.ok ? "" : a.label + ": " + res.status + " " + res.statusText);
      } catch (err) {
        setStatus(a.label + ": " + err);
      }
      refresh();
    });
    box.appendChild(button);
  }
}

function setStatus(text) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.className = "status" + (text ? " error" : "");
}

async function refresh() {
  let data;
  try {
    const res = await fetch("data.json", { cache: "no-store" });
    if (!res.ok) throw new Error(res.status + " " + res.statusText + ": " + (await res.text()).trim());
    data = await res.json();
    setBanner("");
  } catch (err) {
    setStatus("update failed (retrying)");
    setBanner("The SLOs cannot be read: " + err.message + ". Retrying every " + refreshMs / 1000 + " s; the page recovers by itself.");
    return;
  }
  if (data.refresh_seconds > 0) refreshMs = data.refresh_seconds * 1000;
  if (data.title) {
    document.getElementById("title").textContent = data.title;
    document.title = data.title;
  }
  renderActions(data.actions);
  lastData = data;
  draw(data);
  document.getElementById("updated").textContent = "updated " + new Date(data.time).toLocaleTimeString();
  document.body.dataset.loaded = "true";
  setStatus("");
}

// draw lays out the cards of data, in its order, as the filters allow.
function draw(data) {
  renderFilters(data.slos);
  const f = filters();
  const grid = document.getElementById("slos");
  const template = document.getElementById("card");
  const groupTemplate = document.getElementById("group");
  const seen = new Set();
  const seenGroups = new Map(); // family name -> members drawn this refresh
  for (const slo of data.slos) {
    const key = cardKey(slo);
    let card = cards.get(key);
    if (!card) {
      card = template.content.firstElementChild.cloneNode(true);
      cards.set(key, card);
    }
    card.hidden = !shown(slo, f);
    if (slo.labels) {
      const gk = groupKey(slo);
      let group = groups.get(gk);
      if (!group) {
        group = groupTemplate.content.firstElementChild.cloneNode(true);
        groups.set(gk, group);
      }
      if (!seenGroups.has(gk)) {
        group.dataset.slo = slo.name;
        group.dataset.service = slo.service || "";
        group.querySelector(".group-name").textContent = slo.name;
        group.querySelector(".group-service").textContent = slo.service || "";
        group.querySelector(".group-description").textContent = slo.description || "";
        grid.appendChild(group); // where its first member comes
        seenGroups.set(gk, []);
      }
      seenGroups.get(gk).push(slo);
      group.querySelector(".members").appendChild(card); // the server's order: worst first
    } else {
      grid.appendChild(card); // keeps the server's order
    }
    render(card, slo);
    seen.add(key);
  }
  for (const [key, card] of cards) {
    if (!seen.has(key)) {
      card.remove();
      cards.delete(key);
    }
  }
  for (const [key, group] of groups) {
    const members = seenGroups.get(key);
    if (!members) {
      group.remove();
      groups.delete(key);
      continue;
    }
    group.hidden = !members.some((m) => shown(m, f));
    const worst = members[0];
    group.querySelector(".group-summary").textContent = members.length + (members.length === 1 ? " member" : " members") +
      (worst.no_data ? ", no data yet" : ", worst " + fmtPercent(worst.error_budget_remaining, Math.abs(worst.error_budget_remaining) >= 10 ? 0 : 1) + " of budget left");
  }
}

for (const id of ["service-filter", "severity-filter"]) {
  document.getElementById(id).addEventListener("change", () => {
    if (lastData) draw(lastData);
  });
}
// poll reads the data, then again after the interval the data asks for.
async function poll() {
  await refresh();
  setTimeout(poll, refreshMs);
}
poll();
