using System.Data.Common;
using BareMetal.ImageStore.Catalog;
using BareMetal.ImageStore.Catalog.Data;
using BareMetal.Provisioning.Core.Events;
using BareMetal.Provisioning.Core.Nodes;

namespace BareMetal.Provisioning.Core.Deployments;

/// <summary>
/// <see cref="IDeploymentTracker"/> over the shared database. Each event is one write transaction: read
/// the node's latest deployment, ask <see cref="DeploymentStateMachine"/>, write the move and its
/// timestamped transition. Progress-only events update the counters in place.
/// </summary>
public sealed class DeploymentTracker : IDeploymentTracker
{
    /// <summary>Most deployments one history call returns.</summary>
    public const int MaxHistory = 500;

    private const string Columns =
        "id, mac, state, mode, image_name, image_version, started_at, updated_at, ended_at, bytes_streamed, blocks_fetched, overlay_bytes, copy_percent, error";

    private readonly SqlDatabase _db;
    private readonly TimeProvider _time;
    private readonly IProvisioningEvents? _events;

    public DeploymentTracker(SqlDatabase database, TimeProvider? time = null, IProvisioningEvents? events = null)
    {
        ArgumentNullException.ThrowIfNull(database);
        _db = database;
        _time = time ?? TimeProvider.System;
        _events = events;
    }

    public async Task<RecordResult> RecordAsync(string mac, DeploymentEvent deploymentEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(deploymentEvent);
        var m = Macs.Require(mac);
        var e = Sanitise(deploymentEvent);
        var now = DbValues.ToUnixMs(_time.GetUtcNow());
        TransitionDecision decision;
        Deployment? result;
        await using (var s = await _db.WriteAsync(cancellationToken))
        {
            var node = await NodeRegistry.FindAsync(s, m, cancellationToken) ?? throw new NodeNotFoundException(m);
            var latest = await LatestAsync(s, m, cancellationToken);
            var current = latest is { EndedAt: null } ? latest : null;
            decision = DeploymentStateMachine.Decide(current?.State, e, current?.Mode ?? NodeMode.None);
            // A node that waited unassigned and then re-fetched its script boots what it is assigned now,
            // in the same boot (no new DHCP): the deployment says so from that fetch on.
            var assignmentChanged = e.Kind == DeploymentEventKind.BootScriptFetched && current is not null
                && decision.Action is TransitionAction.Move or TransitionAction.Stay
                && await UpdateAssignmentAsync(s, current, node, now, cancellationToken);
            switch (decision.Action)
            {
                case TransitionAction.Reject:
                    throw new InvalidTransitionException(m, current?.State, decision.To!.Value);
                case TransitionAction.Ignore:
                    return new RecordResult(TransitionAction.Ignore, latest);
                case TransitionAction.Start:
                    if (current is not null)
                    {
                        await s.ExecuteAsync("UPDATE deployments SET ended_at = @now, updated_at = @now, error = COALESCE(error, @why) WHERE id = @id", cancellationToken,
                            ("@now", now), ("@why", "superseded by a new boot"), ("@id", current.Id));
                    }
                    var id = await s.ScalarInt64Async(
                        "INSERT INTO deployments (mac, state, mode, image_name, image_version, started_at, updated_at, ended_at, bytes_streamed, blocks_fetched, overlay_bytes, copy_percent, error) " +
                        "VALUES (@mac, @state, @mode, @img, @ver, @now, @now, NULL, 0, 0, 0, 0, NULL) RETURNING id", cancellationToken,
                        ("@mac", m), ("@state", (int)decision.To!.Value), ("@mode", (int)node.Mode), ("@img", node.ImageName), ("@ver", node.ImageVersion),
                        ("@now", now)) ?? throw new InvalidOperationException("INSERT returned no id");
                    await AddTransitionAsync(s, id, null, decision.To.Value, now, e, cancellationToken);
                    await UpdateProgressAsync(s, id, e, now, cancellationToken);
                    break;
                case TransitionAction.Move:
                    var to = decision.To!.Value;
                    await s.ExecuteAsync("UPDATE deployments SET state = @state, updated_at = @now, ended_at = @ended, error = COALESCE(@err, error) WHERE id = @id", cancellationToken,
                        ("@state", (int)to), ("@now", now), ("@ended", DeploymentStateMachine.IsTerminal(to) ? now : null),
                        ("@err", to == DeploymentState.Failed ? e.Message ?? "failed" : null), ("@id", current!.Id));
                    await AddTransitionAsync(s, current.Id, current.State, to, now, e, cancellationToken);
                    await UpdateProgressAsync(s, current.Id, e, now, cancellationToken);
                    break;
                default:
                    if (current is null)
                    {
                        return new RecordResult(TransitionAction.Ignore, latest);
                    }
                    if (!await UpdateProgressAsync(s, current.Id, e, now, cancellationToken) && !assignmentChanged)
                    {
                        // Nothing changed: no write, no event (iPXE re-fetching its script every 10 s).
                        return new RecordResult(TransitionAction.Stay, current);
                    }
                    break;
            }
            result = await LatestAsync(s, m, cancellationToken);
            await s.CommitAsync(cancellationToken);
        }
        _events?.Publish(new ProvisioningChange(ProvisioningChangeKind.DeploymentChanged, _time.GetUtcNow(), m, Deployment: result));
        return new RecordResult(decision.Action, result);
    }

    public async Task<Deployment?> GetCurrentAsync(string mac, CancellationToken cancellationToken = default)
    {
        var m = Macs.Require(mac);
        await using var s = await _db.ReadAsync(cancellationToken);
        return await LatestAsync(s, m, cancellationToken);
    }

    public async Task<IReadOnlyList<Deployment>> GetHistoryAsync(string mac, int limit = 20, CancellationToken cancellationToken = default)
    {
        var m = Macs.Require(mac);
        limit = Math.Clamp(limit, 1, MaxHistory);
        await using var s = await _db.ReadAsync(cancellationToken);
        var rows = await s.QueryAsync($"SELECT {Columns} FROM deployments WHERE mac = @mac ORDER BY id DESC LIMIT {limit}", ReadRow, cancellationToken, ("@mac", m));
        var list = new List<Deployment>(rows.Count);
        foreach (var r in rows)
        {
            list.Add(r with { History = await TransitionsAsync(s, r.Id, cancellationToken) });
        }
        return list;
    }

    public async Task<IReadOnlyList<Deployment>> ListCurrentAsync(CancellationToken cancellationToken = default)
    {
        await using var s = await _db.ReadAsync(cancellationToken);
        var rows = await s.QueryAsync(
            $"SELECT {Columns} FROM deployments d WHERE id = (SELECT MAX(id) FROM deployments x WHERE x.mac = d.mac) ORDER BY updated_at DESC, id DESC",
            ReadRow, cancellationToken);
        var list = new List<Deployment>(rows.Count);
        foreach (var r in rows)
        {
            list.Add(r with { History = await TransitionsAsync(s, r.Id, cancellationToken) });
        }
        return list;
    }

    private static DeploymentEvent Sanitise(DeploymentEvent e)
    {
        if (!Enum.IsDefined(e.Kind) || e.ReportedState is { } st && !Enum.IsDefined(st))
        {
            throw new CatalogException(CatalogErrorKind.Invalid, "unknown deployment event or state");
        }
        if (e.BytesStreamed < 0 || e.BlocksFetched < 0 || e.OverlayBytes < 0)
        {
            throw new CatalogException(CatalogErrorKind.Invalid, "progress counters are never negative");
        }
        if (e.CopyPercent is { } p && (double.IsNaN(p) || p < 0 || p > 100))
        {
            throw new CatalogException(CatalogErrorKind.Invalid, "copy percent is 0..100");
        }
        var message = e.Message;
        if (message is not null)
        {
            message = new string([.. message.Take(DeploymentEvent.MaxMessageLength).Select(c => char.IsControl(c) ? ' ' : c)]);
        }
        return e with { Message = message };
    }

    private static async Task AddTransitionAsync(DbSession s, long id, DeploymentState? from, DeploymentState to, long now, DeploymentEvent e, CancellationToken cancellationToken)
    {
        var seq = (await s.ScalarInt64Async("SELECT MAX(seq) FROM deployment_transitions WHERE deployment_id = @id", cancellationToken, ("@id", id)) ?? 0) + 1;
        await s.ExecuteAsync(
            "INSERT INTO deployment_transitions (deployment_id, seq, from_state, to_state, at, source, message) VALUES (@id, @seq, @from, @to, @at, @src, @msg)",
            cancellationToken, ("@id", id), ("@seq", checked((int)seq)), ("@from", from is { } f ? (int)f : null), ("@to", (int)to), ("@at", now),
            ("@src", (int)e.Kind), ("@msg", e.Message));
    }

    /// <summary>Copies the node's assignment (mode, image, pinned version) onto its deployment; false when it is already there.</summary>
    private static async Task<bool> UpdateAssignmentAsync(DbSession s, Deployment current, Node node, long now, CancellationToken cancellationToken)
    {
        if (current.Mode == node.Mode && current.ImageName == node.ImageName && current.ImageVersion == node.ImageVersion)
        {
            return false;
        }
        await s.ExecuteAsync("UPDATE deployments SET mode = @mode, image_name = @img, image_version = @ver, updated_at = @now WHERE id = @id", cancellationToken,
            ("@mode", (int)node.Mode), ("@img", node.ImageName), ("@ver", node.ImageVersion), ("@now", now), ("@id", current.Id));
        return true;
    }

    /// <summary>Writes the counters the event carries; false when it carries none that differ.</summary>
    private static async Task<bool> UpdateProgressAsync(DbSession s, long id, DeploymentEvent e, long now, CancellationToken cancellationToken)
    {
        if (e.BytesStreamed is null && e.BlocksFetched is null && e.OverlayBytes is null && e.CopyPercent is null)
        {
            return false;
        }
        var changed = await s.ExecuteAsync(
            "UPDATE deployments SET bytes_streamed = COALESCE(@b, bytes_streamed), blocks_fetched = COALESCE(@k, blocks_fetched), " +
            "overlay_bytes = COALESCE(@o, overlay_bytes), copy_percent = COALESCE(@c, copy_percent), updated_at = @now " +
            "WHERE id = @id AND (bytes_streamed <> COALESCE(@b, bytes_streamed) OR blocks_fetched <> COALESCE(@k, blocks_fetched) " +
            "OR overlay_bytes <> COALESCE(@o, overlay_bytes) OR copy_percent <> COALESCE(@c, copy_percent))",
            cancellationToken, ("@b", e.BytesStreamed), ("@k", e.BlocksFetched), ("@o", e.OverlayBytes), ("@c", e.CopyPercent), ("@now", now), ("@id", id));
        return changed > 0;
    }

    private static async Task<Deployment?> LatestAsync(DbSession s, string mac, CancellationToken cancellationToken)
    {
        var row = await s.QuerySingleAsync($"SELECT {Columns} FROM deployments WHERE mac = @mac ORDER BY id DESC LIMIT 1", ReadRow, cancellationToken, ("@mac", mac));
        return row is null ? null : row with { History = await TransitionsAsync(s, row.Id, cancellationToken) };
    }

    private static async Task<IReadOnlyList<DeploymentTransition>> TransitionsAsync(DbSession s, long id, CancellationToken cancellationToken) =>
        await s.QueryAsync("SELECT from_state, to_state, at, source, message FROM deployment_transitions WHERE deployment_id = @id ORDER BY seq",
            r => new DeploymentTransition(
                r.NullableInt32("from_state") is { } f ? (DeploymentState)f : null,
                (DeploymentState)r.Int32("to_state"),
                r.Time("at"),
                (DeploymentEventKind)r.Int32("source"),
                r.String("message")),
            cancellationToken, ("@id", id));

    private static Deployment ReadRow(DbDataReader r) => new(
        r.Int64("id"),
        r.String("mac")!,
        (DeploymentState)r.Int32("state"),
        (NodeMode)r.Int32("mode"),
        r.String("image_name"),
        r.NullableInt32("image_version"),
        r.Time("started_at"),
        r.Time("updated_at"),
        r.NullableTime("ended_at"),
        r.Int64("bytes_streamed"),
        r.Int64("blocks_fetched"),
        r.Int64("overlay_bytes"),
        r.Double("copy_percent"),
        r.String("error"),
        []);
}
