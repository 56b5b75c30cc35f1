using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using BareMetal.Provisioning.Core.Boot;
using BareMetal.Provisioning.Core.Security;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Dhcp.Wire;
using BareMetal.TestSupport;
using Microsoft.Playwright;

namespace BareMetal.Browser.Tests;

/// <summary>
/// The console in Debian's chromium against the whole server (in-process, free port, temp data):
/// log in, import and upload images, look at the details and the map picture, register and assign a
/// node, and watch a live progress update arrive without a reload. Screenshots of every page at
/// desktop (1280x800), phone (390x844) and 4K (3840x2160) sizes go to docs/screenshots/; at each size
/// no page is wider than the screen, at 4K the content uses the screen, and every control on every
/// page has an accessible name.
/// </summary>
[TestFixture]
public sealed class ConsoleBrowserTests
{
    private const string Password = "correct horse battery staple";
    private const string Mac = "52:54:00:12:34:56";
    private const string PxeMac = "52:54:00:ab:cd:ef";
    private static readonly ViewportSize Desktop = new() { Width = 1280, Height = 800 };
    private static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };
    private static readonly ViewportSize FourK = new() { Width = 3840, Height = 2160 };

    /// <summary>The console's pages once the scenario has made something to show on each.</summary>
    private static readonly (string Path, string Name)[] Pages =
        [("/", "dashboard"), ("/images", "images"), ("/images/tiny/1", "image-details"), ("/nodes", "nodes"), ("/deployments", "deployments"), ("/exports", "exports"),
         ($"/exports/tiny.v1@{Mac.Replace(":", "", StringComparison.Ordinal)}", "export-details"), ("/settings", "settings")];

    /// <summary>
    /// Every input, select, textarea, button and progress element without an accessible name, by the
    /// accname rules a screen reader applies (aria-labelledby, aria-label, a label for= or around it, a
    /// button's text or value, title); placeholders do not count. Hidden ones too: they are shown later.
    /// </summary>
    private const string UnnamedControls = """
        () => {
            const text = el => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
            const name = el => {
                const by = el.getAttribute("aria-labelledby");
                const labelled = by ? by.split(/\s+/).map(id => text(document.getElementById(id))).join(" ").trim() : "";
                const forLabel = el.id ? [...document.querySelectorAll("label")].filter(l => l.htmlFor === el.id).map(text).join(" ") : "";
                const button = el.tagName === "BUTTON" ? text(el)
                    : el.tagName === "INPUT" && ["submit", "button", "reset"].includes(el.type) ? (el.value ?? "").trim() : "";
                return [labelled, (el.getAttribute("aria-label") ?? "").trim(), forLabel, text(el.closest("label")), button, (el.getAttribute("title") ?? "").trim()]
                    .find(n => n.length > 0) ?? "";
            };
            return [...document.querySelectorAll("input:not([type=hidden]), select, textarea, button, progress")]
                .filter(el => name(el) === "")
                .map(el => el.outerHTML.replace(/\s+/g, " ").slice(0, 200));
        }
        """;

    private ConsoleServer _server = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;
    private TempDir _files = null!;
    private string _shots = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        (_playwright, _browser) = await Browser.LaunchAsync();
        _files = new TempDir("bm-console-files");
        // The node added by hand below boots from 127.0.0.1: the neighbour table says that address is its.
        _server = await ConsoleServer.StartAsync(Password, [new NeighbourEntry(IPAddress.Loopback, Mac, "lo")]);
        _shots = Browser.ScreenshotDirectory();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        if (_browser is not null)
        {
            await _browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
        _files?.Dispose();
    }

    [Test]
    public async Task Login_WrongPassword_ShowsAnErrorAndStaysOnLogin()
    {
        await using var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = Desktop });
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(_server.BaseUrl + "/nodes");
        Assert.That(page.Url, Does.Contain("/login?returnUrl=%2Fnodes"), $"an anonymous visit is sent to the login page, not {response?.Status}: {await page.ContentAsync()}");
        await page.GetByLabel("Admin password").FillAsync("wrong");
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not right");
        Assert.That(page.Url, Does.Contain("/login"));
    }

    [Test]
    public async Task Console_ImportAssignAndWatchProgress_WorksInARealBrowser()
    {
        var qcow2 = MakeQcow2("tiny.qcow2");
        var raw = _files.File("uploaded.img");
        await File.WriteAllBytesAsync(raw, Enumerable.Range(0, 2 << 20).Select(i => (byte)(i / 4096 % 7 == 0 ? 0 : i & 0xff)).ToArray());

        await using var context = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = Desktop });
        context.SetDefaultTimeout(20_000);
        var unnamed = new List<string>(); // controls without an accessible name, swept on every page and state shown
        var page = await context.NewPageAsync();
        page.Dialog += (_, dialog) => dialog.AcceptAsync();

        // Log in; the login page sends us back where we were going.
        await page.GotoAsync(_server.BaseUrl + "/");
        await Shot(page, "login");
        await page.GetByLabel("Admin password").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();

        // Import from a server path: lands on the details page with the format facts and the map.
        await page.GotoAsync(_server.BaseUrl + "/images");
        await page.GetByLabel("Path on the server").FillAsync(qcow2);
        await page.GetByLabel("Name", new() { Exact = true }).FillAsync("tiny");
        await page.Locator("#import-label").FillAsync("Tiny test disk");
        await page.GetByRole(AriaRole.Button, new() { Name = "Import" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Level = 1 })).ToContainTextAsync("tiny");
        Assert.That(page.Url, Does.EndWith("/images/tiny/1"));
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("qcow2");
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("64.0 MiB");
        Assert.That(await page.Locator(".alloc-map svg rect.data").CountAsync(), Is.GreaterThan(0), "the written range shows as data");
        Assert.That(await page.Locator(".alloc-map svg rect.zero").CountAsync(), Is.GreaterThan(0), "the zeroed range shows as zeros");
        await Assertions.Expect(page.Locator(".alloc-map figcaption")).ToContainTextAsync("% data");
        await Shot(page, "image-details");

        // Upload with the progress bar: the browser streams the file, then shows the new image.
        // The upload of 2 MiB over loopback is over in milliseconds, too fast to poll for; so the page
        // itself records what it showed (in sessionStorage, which outlives the redirect to the details).
        await page.GotoAsync(_server.BaseUrl + "/images");
        await page.EvaluateAsync("""
            () => {
                sessionStorage.removeItem("bm-upload-seen");
                const bar = document.querySelector("#upload-progress");
                const status = document.querySelector("[data-upload-status]");
                const seen = { bar: false, status: [] };
                new MutationObserver(() => {
                    seen.bar ||= !bar.hidden;
                    if (status.textContent && !seen.status.includes(status.textContent)) { seen.status.push(status.textContent); }
                    sessionStorage.setItem("bm-upload-seen", JSON.stringify(seen));
                }).observe(bar.closest("form"), { attributes: true, childList: true, characterData: true, subtree: true });
            }
            """);
        await page.Locator("#upload-file").SetInputFilesAsync(raw);
        await page.Locator("#upload-name").FillAsync("uploaded");
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await page.WaitForURLAsync("**/images/uploaded/1");
        await Assertions.Expect(page.Locator("dl.facts")).ToContainTextAsync("raw");
        var seen = await page.EvaluateAsync<System.Text.Json.JsonElement>("JSON.parse(sessionStorage.getItem('bm-upload-seen') ?? '{}')");
        Assert.That(seen.TryGetProperty("bar", out var bar) && bar.GetBoolean(), Is.True, $"the progress bar was shown during the upload: {seen}");
        var statuses = seen.GetProperty("status").EnumerateArray().Select(e => e.GetString()).ToList();
        Assert.That(statuses, Has.Some.Matches<string>(t => t.StartsWith("Uploading: ", StringComparison.Ordinal) && t.Contains("of 2.0 MiB", StringComparison.Ordinal)),
            $"the status said how far the upload was: {string.Join(" / ", statuses)}");
        Assert.That(statuses.Last(), Is.EqualTo("Uploaded and imported."));

        // A refused upload shows the server's problem details in place.
        await page.GotoAsync(_server.BaseUrl + "/images");
        await page.Locator("#upload-file").SetInputFilesAsync(raw);
        await page.Locator("#upload-name").FillAsync("bad@name");
        await page.EvaluateAsync("document.querySelector('#upload-name').removeAttribute('pattern')");
        await page.GetByRole(AriaRole.Button, new() { Name = "Upload" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-upload-error]")).ToContainTextAsync("letters, digits");
        await Assertions.Expect(page.GetByRole(AriaRole.Table)).ToContainTextAsync("uploaded");
        await Shot(page, "images");

        // A node registers itself when its boot firmware asks our DHCP (fetching a boot script registers
        // nothing: an unknown MAC gets the wait-and-retry script); another is added by hand; then assign.
        using var http = new HttpClient { BaseAddress = new Uri(_server.BaseUrl) };
        var script = await http.GetStringAsync($"/boot/{PxeMac.Replace(':', '-')}.ipxe");
        Assert.That(script, Does.StartWith("#!ipxe").And.Contain(BootScriptRenderer.NotAssignedMarker));
        Assert.That(await _server.Server.Database.Nodes.GetAsync(PxeMac), Is.Null, "a boot-script fetch registers no node");
        await FirmwareDhcpAsync(PxeMac);
        await page.GotoAsync(_server.BaseUrl + "/nodes");
        await Assertions.Expect(page.Locator($"[data-mac='{PxeMac}']")).ToBeVisibleAsync();
        await page.GetByLabel("MAC address").FillAsync(Mac.ToUpperInvariant());
        await page.GetByLabel("Hostname (optional)").FillAsync("rack1-node1");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add node" }).ClickAsync();
        var node = page.Locator($"[data-mac='{Mac}']");
        await Assertions.Expect(node).ToContainTextAsync("rack1-node1");
        await node.GetByLabel("Image", new() { Exact = true }).SelectOptionAsync("tiny");
        await node.GetByLabel("Mode").SelectOptionAsync("Stream");
        await node.GetByRole(AriaRole.Button, new() { Name = "Assign" }).ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync($"Node {Mac} now boots stream from tiny");
        await Assertions.Expect(page.Locator($"[data-mac='{Mac}']")).ToContainTextAsync("stream");
        await Shot(page, "nodes");

        // Bad input on a form: the error is shown next to the form, nothing crashes.
        await page.GetByLabel("MAC address").FillAsync("not-a-mac");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add node" }).ClickAsync();
        await Assertions.Expect(page.Locator("#nodes-error")).ToBeVisibleAsync();
        unnamed.AddRange((await page.EvaluateAsync<string[]>(UnnamedControls)).Select(c => $"/nodes (refused add): {c}"));

        // The node boots: its script now sanboots its overlay, named with the deployment's key; reading that
        // disk over HTTP is what a streaming node does, and the deployments page shows the counters move without a reload.
        script = await http.GetStringAsync($"/boot/{Mac}.ipxe");
        var nodeExport = $"tiny.v1@{Mac.Replace(":", "", StringComparison.Ordinal)}";
        var disk = Regex.Match(script, @"sanboot --no-describe \S+(?<path>/disk/\S+)").Groups["path"].Value;
        Assert.That(disk, Does.StartWith($"/disk/{nodeExport}~"), script);
        await page.GotoAsync(_server.BaseUrl + "/deployments");
        await page.EvaluateAsync("window.__noReload = true");
        await Assertions.Expect(page.Locator("[data-live-status]")).ToContainTextAsync("connected");
        var row = page.Locator($"tr[data-mac='{Mac}']");
        await Assertions.Expect(row).ToBeVisibleAsync();
        var before = await row.Locator("[data-field=bytes]").TextContentAsync();
        using (var read = new HttpRequestMessage(HttpMethod.Get, disk))
        {
            read.Headers.Range = new RangeHeaderValue(1 << 20, (1 << 20) + (256 << 10) - 1);
            using var response = await http.SendAsync(read);
            Assert.That((int)response.StatusCode, Is.EqualTo(206), "the node's disk is served over HTTP range");
            Assert.That((await response.Content.ReadAsByteArrayAsync()).All(b => b == 0x5a), "the node reads the image's data");
        }
        await Assertions.Expect(row.Locator("[data-field=bytes]")).Not.ToHaveTextAsync(before ?? "", new() { Timeout = 15_000 });
        await Assertions.Expect(row.Locator("[data-field=state]")).ToHaveTextAsync("streaming");
        // 256 KiB from 1 MiB: four distinct 64 KiB blocks touched, live too.
        await Assertions.Expect(row.Locator("[data-field=blocks]")).ToHaveTextAsync("4");
        await Assertions.Expect(row.Locator("[data-field=no-copy]")).ToHaveTextAsync("—");
        Assert.That(await row.Locator("progress").CountAsync(), Is.Zero, "a stream node copies nothing: no copy bar");
        await Assertions.Expect(page.Locator("[data-event-list] li[data-kind]").First).ToBeVisibleAsync();
        Assert.That(await page.EvaluateAsync<bool>("window.__noReload === true"), "the update arrived without a reload");
        await Shot(page, "deployments");

        // The exports page has the same read, per export and per client, and the regions read as a picture.
        await page.GotoAsync(_server.BaseUrl + "/exports");
        await Assertions.Expect(page.Locator($"tr[data-export='{nodeExport}'] [data-field=blocks]")).ToHaveTextAsync("4 of 1024");
        await Shot(page, "exports");
        await page.GotoAsync(_server.BaseUrl + "/exports/" + nodeExport);
        await Assertions.Expect(page.GetByRole(AriaRole.Img, new() { Name = "Regions read: 0.4 % read, in 1 range" }).First).ToBeVisibleAsync();
        await Shot(page, "export-details");

        // Settings: boot files saved; a token is shown once.
        await page.GotoAsync(_server.BaseUrl + "/settings");
        await page.GetByLabel("Boot file for UEFI x64").FillAsync("snponly.efi");
        await page.GetByRole(AriaRole.Button, new() { Name = "Save" }).ClickAsync();
        await Assertions.Expect(page.GetByLabel("Boot file for UEFI x64")).ToHaveValueAsync("snponly.efi");
        await page.GetByLabel("New token's name").FillAsync("ci-runner");
        await page.GetByRole(AriaRole.Button, new() { Name = "Create token" }).ClickAsync();
        var secret = await page.Locator("#new-token").InputValueAsync();
        Assert.That(secret, Does.StartWith("bm_"));
        unnamed.AddRange((await page.EvaluateAsync<string[]>(UnnamedControls)).Select(c => $"/settings (new token): {c}"));
        await Shot(page, "settings");
        await page.ReloadAsync();
        Assert.That(await page.ContentAsync(), Does.Not.Contain(secret), "a token is shown once");

        await page.GotoAsync(_server.BaseUrl + "/");
        await Assertions.Expect(page.Locator("#count-nodes")).ToHaveTextAsync("2");
        await Shot(page, "dashboard");
        // A third node boots while the dashboard is open: its count follows without a reload.
        await page.EvaluateAsync("window.__noReload = true");
        await Assertions.Expect(page.Locator("[data-live-status]")).ToContainTextAsync("connected");
        await FirmwareDhcpAsync("52:54:00:b1:00:03");
        await Assertions.Expect(page.Locator("#count-nodes")).ToHaveTextAsync("3", new() { Timeout = 15_000 });
        Assert.That(await page.EvaluateAsync<bool>("window.__noReload === true"), "the count changed without a reload");

        // The same pages on a phone: nothing wider than the screen.
        var state = await context.StorageStateAsync();
        await using var phone = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = Phone, StorageState = state, IsMobile = true, HasTouch = true });
        var small = await phone.NewPageAsync();
        foreach (var (path, name) in Pages)
        {
            await small.GotoAsync(_server.BaseUrl + path);
            Assert.That(await HorizontalOverflowAsync(small), Is.LessThanOrEqualTo(0), $"{path} is wider than a phone screen");
            await Shot(small, name, "phone");
        }

        // And on a 4K screen at 100 %: nothing wider than the screen, and the content uses the width
        // rather than sitting in a narrow column with empty margins either side. Every control named.
        await using var large = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = FourK, StorageState = state });
        var big = await large.NewPageAsync();
        var narrow = new List<string>();
        foreach (var (path, name) in Pages)
        {
            await big.GotoAsync(_server.BaseUrl + path);
            Assert.That(await HorizontalOverflowAsync(big), Is.LessThanOrEqualTo(0), $"{path} is wider than a 4K screen");
            var main = await big.Locator("main").BoundingBoxAsync();
            if (main is null || main.Width < FourK.Width * 0.75)
            {
                narrow.Add($"{path}: {main?.Width:0} px");
            }
            unnamed.AddRange((await big.EvaluateAsync<string[]>(UnnamedControls)).Select(c => $"{path}: {c}"));
            await Shot(big, name, "4k");
        }
        await using var anonymous = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = Phone, IsMobile = true });
        var login = await anonymous.NewPageAsync();
        await login.GotoAsync(_server.BaseUrl + "/login");
        await Shot(login, "login", "phone");
        unnamed.AddRange((await login.EvaluateAsync<string[]>(UnnamedControls)).Select(c => $"/login: {c}"));
        await using var anonymousLarge = await _browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = FourK });
        var bigLogin = await anonymousLarge.NewPageAsync();
        await bigLogin.GotoAsync(_server.BaseUrl + "/login");
        Assert.That(await HorizontalOverflowAsync(bigLogin), Is.LessThanOrEqualTo(0), "/login is wider than a 4K screen");
        await Shot(bigLogin, "login", "4k");
        Assert.Multiple(() =>
        {
            Assert.That(narrow, Is.Empty, $"at 4K the main content should span at least 3/4 of the {FourK.Width} px screen, not a column of");
            Assert.That(unnamed, Is.Empty, "controls without an accessible name:\n" + string.Join("\n", unnamed));
        });
    }

    /// <summary>The check for the page sweeps: if it cannot see a missing name, the sweep proves nothing.</summary>
    [Test]
    public async Task UnnamedControlsSweep_FindsAnUnlabelledInput_AndAcceptsEveryWayOfNamingOne()
    {
        await using var context = await _browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.SetContentAsync("""
            <label for="a">A</label><input id="a">
            <label>B <select></select></label>
            <span id="c-label">C</span><textarea aria-labelledby="c-label"></textarea>
            <progress aria-label="D"></progress>
            <button>E</button><input type="submit" value="F"><input title="G"><input type="hidden">
            <input id="bare" placeholder="a placeholder is not a name"><button id="empty"></button><progress hidden></progress>
            """);
        var unnamed = await page.EvaluateAsync<string[]>(UnnamedControls);
        Assert.That(unnamed, Has.Length.EqualTo(3));
        Assert.That(unnamed[0], Does.Contain("id=\"bare\""));
        Assert.That(unnamed[1], Does.Contain("id=\"empty\""));
        Assert.That(unnamed[2], Does.StartWith("<progress hidden"));
    }

    /// <summary>A BIOS PXE ROM's DHCPDISCOVER reaching the server's DHCP, which registers the node (what the firmware does first).</summary>
    private Task FirmwareDhcpAsync(string mac) =>
        _server.Server.OnDhcpContactAsync(new DhcpClientContact(mac, ClientArchitecture.IntelX86Pc, null, null, FirmwareKind.Bios,
            "PXEClient:Arch:00000:UNDI:002001", DhcpMessageType.Discover, null));

    private static Task<int> HorizontalOverflowAsync(IPage page) =>
        page.EvaluateAsync<int>("document.documentElement.scrollWidth - document.documentElement.clientWidth");

    private string MakeQcow2(string name)
    {
        var qemuImg = Peer.Require("qemu-img", "qemu-utils");
        var qemuIo = Peer.Require("qemu-io", "qemu-utils");
        var path = Path.Combine(_server.ImportDirectory, name);
        Peer.Check(qemuImg, "create", "-q", "-f", "qcow2", path, "64M");
        Peer.Check(qemuIo, "-f", "qcow2", "-c", "write -P 0x5a 1M 4M", "-c", "write -z 32M 2M", path);
        return path;
    }

    private Task Shot(IPage page, string name, string size = "desktop") =>
        page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(_shots, $"{name}-{size}.png"), FullPage = true });
}
