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
                    error.textContent = await problemText(new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText }));
                }
            });
            xhr.addEventListener("error", () => { status.textContent = "Upload failed."; error.textContent = "The connection to the server was lost."; });
            xhr.send(file);
        });
    }

    // ---- live events (SSE) ----------------------------------------------------------------
    function timeNow() {
        const t = new Date();
        return t.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    }

    function describe(kind, d) {
        const who = d.mac ?? d.node ?? d.name ?? d.image ?? "";
        switch (kind) {
            case "progress": return "progress " + who + ": " + formatBytes(d.bytesStreamed ?? d.bytes ?? 0) + " streamed, "
                + (d.blocksFetched ?? d.blocks ?? 0) + " blocks" + (d.copyPercent != null ? ", copy " + d.copyPercent + " %" : "");
            case "deployment": return "deployment " + who + " is " + (d.state ?? d.to ?? "?");
            case "node": return "node " + who + " " + (d.change ?? d.kind ?? d.action ?? "changed");
            case "image": return "image " + who + " " + (d.change ?? d.kind ?? d.action ?? "changed");
            default: return kind + " " + who;
        }
    }

    function addEvent(list, kind, d) {
        const li = document.createElement("li");
        const time = document.createElement("time");
        time.textContent = timeNow();
        li.append(time, document.createTextNode(describe(kind, d)));
        li.dataset.kind = kind;
        list.prepend(li);
        list.querySelector("[data-empty]")?.remove();
        while (list.children.length > 50) { list.lastElementChild.remove(); }
    }

    function updateRow(kind, d) {
        const mac = (d.mac ?? d.node ?? "").toLowerCase();
        if (!mac) { return; }
        for (const row of document.querySelectorAll('[data-mac="' + CSS.escape(mac) + '"]')) {
            const set = (field, text) => { const el = row.querySelector('[data-field="' + field + '"]'); if (el && text !== undefined && text !== null) { el.textContent = text; } };
            if (kind === "progress") {
                set("bytes", formatBytes(d.bytesStreamed ?? d.bytes));
                set("blocks", d.blocksFetched ?? d.blocks);
                set("overlay", formatBytes(d.overlayBytes ?? d.overlay));
                const pct = d.copyPercent ?? d.copy;
                if (pct !== undefined && pct !== null) {
                    set("copy", pct + " %");
                    const bar = row.querySelector("progress[data-field-bar=copy]");
                    if (bar) { bar.value = pct; }
                }
            }
            const state = d.state ?? d.to;
            if (state) {
                const badge = row.querySelector('[data-field="state"]');
                if (badge) {
                    badge.textContent = state;
                    badge.className = "badge " + stateClass(state);
                }
            }
            row.dataset.updated = String(Date.now());
        }
    }

    function stateClass(state) {
        const s = String(state).toLowerCase();
        if (s === "done") { return "state-done"; }
        if (s === "failed") { return "state-failed"; }
        if (s === "" || s === "none" || s === "idle") { return "state-idle"; }
        return "state-active";
    }

    function wireLive(root) {
        if (!("EventSource" in window)) { return; }
        const url = root.dataset.live || "/api/v1/events";
        const list = root.querySelector("[data-event-list]");
        const status = root.querySelector("[data-live-status]");
        const source = new EventSource(url);
        source.addEventListener("open", () => { if (status) { status.textContent = "Live: connected"; } });
        source.addEventListener("error", () => { if (status) { status.textContent = "Live: reconnecting…"; } });
        for (const kind of ["node", "image", "deployment", "progress"]) {
            source.addEventListener(kind, (e) => {
                let d = {};
                try { d = JSON.parse(e.data); } catch { d = { text: e.data }; }
                if (list) { addEvent(list, kind, d); }
                updateRow(kind, d);
                const counter = root.querySelector('[data-count="' + kind + '"]');
                if (counter && d.count !== undefined) { counter.textContent = d.count; }
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
