// BareMetal console: the little script the pages need. Everything works without it except the
// live updates (Server-Sent Events) and the upload progress bar.
"use strict";

(function () {
    // Two tokens: the console's own forms and upload use Razor's antiforgery token; calls to /api/v1
    // with the session cookie use the session's CSRF token (X-CSRF-Token).
    const csrf = () => document.querySelector('meta[name="csrf-token"]')?.content ?? "";
    const apiCsrf = () => document.querySelector('meta[name="api-csrf-token"]')?.content ?? "";

    function formatBytes(n) {
        if (typeof n !== "number" || !isFinite(n)) { return ""; }
        const units = ["B", "KiB", "MiB", "GiB", "TiB"];
        let i = 0;
        while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
        return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + " " + units[i];
    }

    // A problem-details body (RFC 7807) as one readable line.
    async function problemText(response) {
        try {
            const p = await response.json();
            return [p.title, p.detail].filter(Boolean).join(": ") || ("HTTP " + response.status);
        } catch {
            return "HTTP " + response.status + " " + response.statusText;
        }
    }

    // ---- upload with a progress bar -------------------------------------------------------
    function wireUpload(form) {
        const progress = form.querySelector("progress");
        const status = form.querySelector("[data-upload-status]");
        const error = form.querySelector("[data-upload-error]");
        form.addEventListener("submit", (ev) => {
            ev.preventDefault();
            const file = form.querySelector('input[type="file"]').files[0];
            if (!file) { error.textContent = "Choose a file first."; return; }
            const params = new URLSearchParams();
            for (const name of ["name", "label", "notes"]) {
                const v = form.elements[name]?.value;
                if (v) { params.set(name, v); }
            }
            if (!params.has("name")) { params.set("name", file.name.replace(/\.[^.]*$/, "")); }
            const xhr = new XMLHttpRequest();
            xhr.open("POST", form.dataset.uploadUrl + (form.dataset.uploadUrl.includes("?") ? "&" : "?") + params.toString());
            xhr.setRequestHeader("Content-Type", "application/octet-stream");
            xhr.setRequestHeader("X-CSRF-Token", apiCsrf());
            xhr.setRequestHeader("RequestVerificationToken", csrf());
            error.textContent = "";
            progress.hidden = false;
            progress.value = 0;
            progress.max = file.size || 1;
            xhr.upload.addEventListener("progress", (e) => {
                progress.value = e.loaded;
                status.textContent = "Uploading: " + formatBytes(e.loaded) + " of " + formatBytes(file.size)
                    + " (" + Math.floor(100 * e.loaded / (file.size || 1)) + " %)";
            });
            xhr.addEventListener("load", async () => {
                if (xhr.status >= 200 && xhr.status < 300) {
                    status.textContent = "Uploaded and imported.";
                    let target = "/images";
                    try { const body = JSON.parse(xhr.responseText); if (body.name) { target = "/images/" + encodeURIComponent(body.name) + (body.version ? "/" + body.version : ""); } } catch { /* not JSON */ }
                    window.location.assign(target);
                } else {
                    status.textContent = "Upload failed.";
                    progress.hidden = true;
                    error.textContent = await problemText(new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText }));
                }
            });
            xhr.addEventListener("error", () => { status.textContent = "Upload failed."; error.textContent = "The connection to the server was lost."; });
            xhr.send(file);
        });
    }

    // ---- live events (SSE) ----------------------------------------------------------------
    // The shape the server renders (ConsoleFormat.Time: "2026-12-01 22:30:05 UTC"), so a live update
    // does not switch a cell to the browser's own time format. `at` is the event's ISO time.
    function stamp(at) {
        const t = at ? new Date(at) : new Date();
        const p = n => String(n).padStart(2, "0");
        return t.getUTCFullYear() + "-" + p(t.getUTCMonth() + 1) + "-" + p(t.getUTCDate()) + " "
            + p(t.getUTCHours()) + ":" + p(t.getUTCMinutes()) + ":" + p(t.getUTCSeconds()) + " UTC";
    }

    // The API's change events (GET /api/v1/events): data is {change, at, mac, node?, deployment?, image?, setting?};
    // a deployment carries its counters in deployment.progress.
    function flatten(d) {
        const dep = d.deployment ?? {};
        const p = dep.progress ?? {};
        return {
            mac: String(d.mac ?? dep.mac ?? d.node?.mac ?? "").toLowerCase(),
            state: dep.state,
            bytes: p.bytesStreamed,
            blocks: p.blocksFetched,
            overlay: p.overlayBytes,
            copy: p.copyPercent,
            image: d.image ? d.image.name + " v" + d.image.version : null,
            change: d.change ?? "",
            setting: d.setting,
            at: d.at,
        };
    }

    function describe(kind, f) {
        switch (kind) {
            case "progress": return "progress " + f.mac + ": " + formatBytes(f.bytes ?? 0) + " streamed, "
                + (f.blocks ?? 0) + " blocks touched, overlay " + formatBytes(f.overlay ?? 0) + ", copy " + (f.copy ?? 0) + " %";
            case "deployment": return "deployment " + f.mac + " is " + (f.state ?? "?");
            case "node": return "node " + f.mac + ": " + f.change;
            case "image": return "image " + (f.image ?? "") + ": " + f.change;
            case "setting": return "setting " + (f.setting ?? "") + " changed";
            default: return kind + " " + f.change;
        }
    }

    function addEvent(list, kind, f) {
        const li = document.createElement("li");
        const time = document.createElement("time");
        time.textContent = stamp(f.at);
        li.append(time, document.createTextNode(describe(kind, f)));
        li.dataset.kind = kind;
        list.prepend(li);
        list.querySelector("[data-empty]")?.remove();
        while (list.children.length > 50) { list.lastElementChild.remove(); }
    }

    function updateRows(f) {
        if (!f.mac) { return; }
        for (const row of document.querySelectorAll('[data-mac="' + CSS.escape(f.mac) + '"]')) {
            const set = (field, text) => {
                const el = row.querySelector('[data-field="' + field + '"]');
                if (el && text !== undefined && text !== null) { el.textContent = text; }
            };
            if (f.bytes !== undefined) { set("bytes", formatBytes(f.bytes)); }
            if (f.blocks !== undefined) { set("blocks", String(f.blocks)); }
            if (f.overlay !== undefined) { set("overlay", formatBytes(f.overlay)); }
            if (f.copy !== undefined) {
                set("copy", (Math.round(f.copy * 10) / 10) + " %");
                const bar = row.querySelector("progress[data-field-bar=copy]");
                if (bar) { bar.value = f.copy; }
            }
            if (f.state) {
                const badge = row.querySelector('[data-field="state"]');
                if (badge) {
                    badge.textContent = f.state;
                    badge.className = "badge " + stateClass(f.state);
                }
                set("updated", stamp(f.at));
            }
        }
    }

    function stateClass(state) {
        const s = String(state).toLowerCase();
        if (s === "done") { return "state-done"; }
        if (s === "failed") { return "state-failed"; }
        if (s === "" || s === "none") { return "state-idle"; }
        return "state-active";
    }

    // The dashboard's counts: after a node, image or deployment change, the page is fetched again (at most
    // twice a second) and its counts section swapped in, so the figures are the server's own.
    function countsRefresher(root) {
        const stats = root.querySelector("[data-live-counts]");
        if (!stats) { return () => { }; }
        let pending = null;
        return () => {
            if (pending) { return; }
            pending = setTimeout(async () => {
                pending = null;
                try {
                    const r = await fetch(window.location.pathname, { headers: { Accept: "text/html" }, credentials: "same-origin" });
                    if (!r.ok) { return; }
                    const fresh = new DOMParser().parseFromString(await r.text(), "text/html").querySelector("[data-live-counts]");
                    if (fresh) { stats.innerHTML = fresh.innerHTML; }
                } catch { /* the next change tries again */ }
            }, 500);
        };
    }

    function wireLive(root) {
        if (!("EventSource" in window)) { return; }
        const url = root.dataset.live || "/api/v1/events";
        const list = root.querySelector("[data-event-list]");
        const status = root.querySelector("[data-live-status]");
        const refreshCounts = countsRefresher(root);
        const source = new EventSource(url);
        source.addEventListener("open", () => { if (status) { status.textContent = "Live: connected"; } });
        source.addEventListener("error", () => { if (status) { status.textContent = "Live: reconnecting…"; } });
        for (const kind of ["node", "image", "deployment", "progress", "setting"]) {
            source.addEventListener(kind, (e) => {
                let d = {};
                try { d = JSON.parse(e.data); } catch { return; }
                const f = flatten(d);
                if (list) { addEvent(list, kind, f); }
                updateRows(f);
                if (kind !== "progress" && kind !== "setting") { refreshCounts(); }
            });
        }
        window.addEventListener("pagehide", () => source.close());
    }

    // Confirmation for destructive buttons (data-confirm="...").
    function wireConfirm(button) {
        button.addEventListener("click", (e) => {
            if (!window.confirm(button.dataset.confirm)) { e.preventDefault(); }
        });
    }

    document.addEventListener("DOMContentLoaded", () => {
        document.querySelectorAll("form[data-upload-url]").forEach(wireUpload);
        document.querySelectorAll("[data-live]").forEach(wireLive);
        document.querySelectorAll("[data-confirm]").forEach(wireConfirm);
    });
})();
