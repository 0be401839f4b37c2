// cell web's script: polls the JSON API once a second and draws what it
// says. Every text from the API goes into the page as text (textContent),
// never as markup: a container's name, command or log is its owner's.
"use strict";

// The token comes in the page's fragment (#token=...), which the browser
// never sends to a server; the API wants it in X-Cell-Token.
const token = new URLSearchParams(location.hash.slice(1)).get("token") || "";
let selected = null; // the id of the container shown below the table
let tick = 0;

async function api(path, options = {}) {
	const headers = Object.assign({ "X-Cell-Token": token }, options.headers || {});
	const resp = await fetch(path, Object.assign({}, options, { headers }));
	if (!resp.ok) {
		let msg = resp.status + " " + resp.statusText;
		try { msg = (await resp.json()).error || msg; } catch (e) { /* not JSON */ }
		throw new Error(msg);
	}
	return resp;
}

function el(tag, text, cls) {
	const e = document.createElement(tag);
	if (text !== undefined) e.textContent = text;
	if (cls) e.className = cls;
	return e;
}

function bytes(n) {
	if (n === null || n === undefined || n < 0) return "no limit";
	const units = ["B", "KiB", "MiB", "GiB", "TiB"];
	let u = 0;
	while (n >= 1024 && u < 4) { n /= 1024; u++; }
	return (u ? n.toFixed(1) : n.toFixed(0)) + units[u];
}

function duration(s) {
	if (s < 0) return "";
	if (s < 120) return s + " s";
	if (s < 7200) return Math.floor(s / 60) + " min";
	return Math.floor(s / 3600) + " h";
}

// A line through VALUES in SVG, scaled so that TOP is the top edge; a
// dashed line at LIMIT when there is one.
function plot(svg, values, top, limit) {
	const w = svg.viewBox.baseVal.width, h = svg.viewBox.baseVal.height;
	const n = Math.max(values.length, 2);
	svg.replaceChildren();
	const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
	line.setAttribute("points", values.map((v, i) =>
		(i * w / (n - 1)).toFixed(1) + "," + (h - Math.min(v / top, 1) * h).toFixed(1)).join(" "));
	svg.appendChild(line);
	if (limit > 0 && limit <= top) {
		const l = document.createElementNS("http://www.w3.org/2000/svg", "line");
		const y = (h - limit / top * h).toFixed(1);
		l.setAttribute("class", "limit");
		l.setAttribute("x1", 0); l.setAttribute("x2", w);
		l.setAttribute("y1", y); l.setAttribute("y2", y);
		svg.appendChild(l);
	}
}

function spark(cls) {
	const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
	svg.setAttribute("class", "spark " + cls);
	svg.setAttribute("viewBox", "0 0 120 28");
	svg.setAttribute("preserveAspectRatio", "none");
	return svg;
}

// The table: one row per container, kept across refreshes (by id) so that
// its small graphs go on where they were.
const rows = new Map();

async function refreshList() {
	const list = await (await api("/api/containers")).json();
	const body = document.querySelector("#containers tbody");
	const seen = new Set();
	for (const c of list) {
		seen.add(c.Id);
		let row = rows.get(c.Id);
		if (!row) {
			row = { tr: el("tr", undefined, "container"), cpu: [], memory: [] };
			row.tr.dataset.id = c.Id;
			row.cells = ["name", "id", "state", "image", "uptime"].map(() => el("td"));
			row.cells[1].className = "mono";
			row.cpuText = el("td", "", "mono");
			row.cpuSvg = spark("cpu");
			row.memText = el("td", "", "mono");
			row.memSvg = spark("memory");
			const sc = el("td"), sm = el("td");
			sc.appendChild(row.cpuSvg);
			sm.appendChild(row.memSvg);
			row.tr.append(...row.cells, row.cpuText, sc, row.memText, sm);
			row.tr.addEventListener("click", () => select(c.Id));
			rows.set(c.Id, row);
			body.appendChild(row.tr);
		}
		row.cells[0].textContent = c.Name;
		row.cells[1].textContent = c.Id.slice(0, 12);
		row.cells[2].textContent = c.State;
		row.cells[2].className = "state-" + c.State;
		row.cells[3].textContent = c.Image;
		row.cells[4].textContent = duration(c.UptimeSeconds);
		const up = c.State === "running" || c.State === "paused";
		row.cpu.push(up ? c.Cpu : 0);
		row.memory.push(up ? c.Memory : 0);
		row.cpu = row.cpu.slice(-60);
		row.memory = row.memory.slice(-60);
		row.cpuText.textContent = up ? c.Cpu.toFixed(1) + "%" : "";
		row.memText.textContent = up ? bytes(c.Memory) : "";
		plot(row.cpuSvg, row.cpu, Math.max(100, ...row.cpu), 0);
		plot(row.memSvg, row.memory, Math.max(1, ...row.memory) * 1.2, 0);
		row.tr.classList.toggle("selected", c.Id === selected);
	}
	for (const [id, row] of rows) {
		if (!seen.has(id)) { row.tr.remove(); rows.delete(id); }
	}
	document.getElementById("none").hidden = list.length > 0;
	if (selected && !seen.has(selected)) {
		selected = null;
		document.getElementById("detail").hidden = true;
	}
}

function select(id) {
	selected = id;
	for (const [rid, row] of rows) row.tr.classList.toggle("selected", rid === id);
	document.getElementById("detail").hidden = false;
	refreshDetail(true).catch(showError);
}

// The process tree: each process under its parent, when the parent is
// in the container too.
function processTree(procs) {
	const byParent = new Map();
	const pids = new Set(procs.map(p => p.HostPid));
	for (const p of procs) {
		const parent = pids.has(p.HostPPid) ? p.HostPPid : 0;
		if (!byParent.has(parent)) byParent.set(parent, []);
		byParent.get(parent).push(p);
	}
	function branch(parent) {
		const ul = el("ul", undefined, "tree");
		for (const p of byParent.get(parent) || []) {
			const li = el("li", p.HostPid + " / " + p.Pid + "  uid " + p.Uid + "  " + p.Command);
			if (byParent.has(p.HostPid)) li.appendChild(branch(p.HostPid));
			ul.appendChild(li);
		}
		return ul;
	}
	return procs.length ? branch(0) : el("p", "no process: the container is not running");
}

async function refreshDetail(all) {
	if (!selected) return;
	const id = selected;
	const stats = await (await api("/api/containers/" + id + "/stats")).json();
	const cpu = stats.Samples.map(s => s.Cpu), memory = stats.Samples.map(s => s.Memory);
	const cpuLimit = stats.CpuLimit ? stats.CpuLimit * 100 : 0;
	plot(document.getElementById("d-cpu-chart"), cpu, Math.max(100, cpuLimit, ...cpu), cpuLimit);
	const memLimit = stats.MemoryLimit > 0 ? stats.MemoryLimit : 0;
	const memTop = Math.max(1, ...memory) * 1.2;
	plot(document.getElementById("d-memory-chart"), memory,
		memLimit && memLimit < memTop * 4 ? Math.max(memTop, memLimit * 1.05) : memTop, memLimit);
	const last = stats.Samples[stats.Samples.length - 1];
	document.getElementById("d-cpu").textContent = last ? last.Cpu.toFixed(1) + "%" : "";
	document.getElementById("d-memory").textContent = last ? bytes(last.Memory) : "";
	document.getElementById("d-limits").textContent =
		"CPU " + (stats.CpuLimit ? stats.CpuLimit.toFixed(2) + " CPUs" : "no limit") +
		", memory " + bytes(stats.MemoryLimit) +
		", processes " + (last ? last.Pids : "?") + " of " +
		(stats.PidsLimit >= 0 ? stats.PidsLimit : "no limit");
	if (!all) return;

	const c = await (await api("/api/containers/" + id)).json();
	if (id !== selected) return;
	document.getElementById("d-name").textContent = c.Name;
	document.getElementById("d-id").textContent = c.Id.slice(0, 12);
	const state = document.getElementById("d-state");
	state.textContent = c.State.Status;
	state.className = "state-" + c.State.Status;
	document.getElementById("d-procs").replaceChildren(processTree(c.Processes));
	const ns = document.querySelector("#d-ns tbody");
	ns.replaceChildren();
	for (const [type, inode] of Object.entries(c.Namespaces)) {
		const host = c.HostNamespaces[type];
		const tr = el("tr");
		tr.append(el("td", type), el("td", String(inode)),
			el("td", String(host), inode === host ? "shared" : ""));
		if (inode === host) tr.title = "the host's own: not isolated";
		ns.appendChild(tr);
	}
	const addr = c.Addresses;
	let text;
	if (!addr.eth0)
		text = "no address of its own (--network " + (c.Namespaces.net === c.HostNamespaces.net ? "host" : "none") +
			"); no port published";
	else if (addr.Network)
		text = "eth0 " + addr.eth0 + " on the network " + addr.Network + (addr.Nat ? " (--nat)" : "") +
			", veth " + addr.HostEnd.Name + " a port of the bridge " + addr.HostEnd.Bridge + " " +
			addr.HostEnd.Address + "; " + (addr.Ports.length
				? "published: " + addr.Ports.map(p => "host " + p.replace(/:(\d+)\//, " -> $1/")).join(", ")
				: "no port published");
	else
		text = "eth0 " + addr.eth0 + ", veth to the host: " + addr.HostEnd.Name + " " + addr.HostEnd.Address +
			"; no port published (--ip)";
	document.getElementById("d-addr").textContent = text;
	document.getElementById("d-logs").textContent =
		c.Logs.map(l => l.Time.slice(11, 19) + " " + l.Stream + " " + l.Text).join("\n");
	await refreshGraph(id);
}

// The picture: SVG from Graphviz, shown through an <img> (an SVG there
// runs no script), or the DOT text when Graphviz is missing.
async function refreshGraph(id) {
	const resp = await api("/api/containers/" + id + "/graph");
	const box = document.getElementById("graph");
	if (resp.headers.get("Content-Type").startsWith("image/svg")) {
		const img = el("img");
		img.alt = "processes, namespaces, cgroup, mounts and veth of " + id.slice(0, 12);
		img.src = URL.createObjectURL(await resp.blob());
		img.onload = () => URL.revokeObjectURL(img.src);
		box.replaceChildren(img);
	} else {
		box.replaceChildren(el("p", "Graphviz is not installed (apt-get install graphviz): the DOT text:"),
			el("pre", await resp.text()));
	}
}

async function act(action) {
	if (!selected) return;
	const status = document.getElementById("error");
	status.textContent = action + " " + selected.slice(0, 12) + "...";
	try {
		await api("/api/containers/" + selected, {
			method: "POST",
			headers: { "Content-Type": "application/json" },
			body: JSON.stringify({ action }),
		});
		status.textContent = "";
	} catch (e) {
		status.textContent = action + ": " + e.message;
	}
	await refreshList();
	if (selected) await refreshDetail(true);
}

function showError(e) {
	document.getElementById("error").textContent = e.message;
}

async function loop() {
	try {
		await refreshList();
		await refreshDetail(tick % 3 === 0);
	} catch (e) {
		showError(e);
	}
	tick++;
	setTimeout(loop, 1000);
}

document.getElementById("where").textContent = location.host;
for (const b of document.querySelectorAll("#actions button"))
	b.addEventListener("click", () => act(b.dataset.action));
if (!token)
	showError("no token: open the address cell web printed, with its #token=...");
loop();
