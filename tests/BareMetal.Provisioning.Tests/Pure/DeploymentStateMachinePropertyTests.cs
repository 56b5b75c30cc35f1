using BareMetal.Provisioning.Core.Deployments;
using BareMetal.Provisioning.Core.Nodes;
using BareMetal.Pxe.Dhcp.Policy;
using BareMetal.Pxe.Dhcp.Session;
using BareMetal.Pxe.Dhcp.Wire;
using FsCheck;
using FsCheck.Fluent;

namespace BareMetal.Provisioning.Tests.Pure;

public class DeploymentStateMachinePropertyTests
{
    private static readonly Gen<DeploymentEvent> Events =
        from kind in Gen.Elements(Enum.GetValues<DeploymentEventKind>())
        from claimed in Gen.Elements(Enum.GetValues<DeploymentState>().Select(s => (DeploymentState?)s).Append(null).ToArray())
        from firmware in Gen.Elements(true, false)
        from local in Gen.Elements(true, false)
        from copy in Gen.Elements((double?)null, 0, 42.5, 100)
        select new DeploymentEvent(kind, kind is DeploymentEventKind.NodeReport or DeploymentEventKind.Manual ? claimed : null, IsBootFirmware: firmware,
            HandsOffToLocalDisk: local && kind == DeploymentEventKind.BootScriptFetched, CopyPercent: kind == DeploymentEventKind.DiskRead ? copy : null);

    private static readonly Gen<(DeploymentEvent Event, NodeMode Mode)> EventsInModes =
        from e in Events
        from mode in Gen.Elements(Enum.GetValues<NodeMode>())
        select (e, mode);

    [Test]
    public void AnySequenceOfEvents_OnlyEverMakesAllowedMoves()
    {
        Prop.ForAll(Gen.ListOf(EventsInModes).ToArbitrary(), events =>
        {
            DeploymentState? current = null;
            foreach (var (e, mode) in events)
            {
                var d = DeploymentStateMachine.Decide(current, e, mode);
                // An OS's DHCP never starts a boot nor ends one: it only ever says the streamed OS came up.
                if (e.Kind == DeploymentEventKind.DhcpContact && !e.IsBootFirmware
                    && d.Action is not (TransitionAction.Ignore or TransitionAction.Stay) && !(d.Action == TransitionAction.Move && d.To == DeploymentState.OsUp))
                {
                    return false;
                }
                switch (d.Action)
                {
                    case TransitionAction.Move:
                        // A move needs a live deployment and an edge of the table.
                        if (current is not { } from || !DeploymentStateMachine.IsAllowed(from, d.To!.Value))
                        {
                            return false;
                        }
                        current = d.To;
                        break;
                    case TransitionAction.Start:
                        // Only boot-firmware DHCP, a script fetch or a claimed Pxe start a deployment,
                        // and never while one is still in its first two states (iPXE re-DHCPs).
                        var allowed = e.Kind switch
                        {
                            DeploymentEventKind.DhcpContact => e.IsBootFirmware && current is not (DeploymentState.Pxe or DeploymentState.Bootloader),
                            DeploymentEventKind.BootScriptFetched => current is not (DeploymentState.Pxe or DeploymentState.Bootloader),
                            DeploymentEventKind.NodeReport or DeploymentEventKind.Manual => e.ReportedState == DeploymentState.Pxe,
                            _ => false,
                        };
                        if (!allowed || d.To is not (DeploymentState.Pxe or DeploymentState.Bootloader))
                        {
                            return false;
                        }
                        current = d.To;
                        break;
                    case TransitionAction.Reject:
                        // Only explicit claims are refused; network events never throw.
                        if (e.Kind is not (DeploymentEventKind.NodeReport or DeploymentEventKind.Manual))
                        {
                            return false;
                        }
                        break;
                    case TransitionAction.Stay:
                    case TransitionAction.Ignore:
                        break;
                    default:
                        return false;
                }
                // Terminal states are left only by starting anew (checked above: Move needs an edge, and none leaves Done/Failed).
            }
            return true;
        }).QuickCheckThrowOnFailure();
    }

    [TestCase(DeploymentState.Bootloader, TransitionAction.Move, DeploymentState.Done)]
    [TestCase(DeploymentState.Pxe, TransitionAction.Move, DeploymentState.Bootloader)]
    [TestCase(DeploymentState.Streaming, TransitionAction.Start, DeploymentState.Bootloader)]
    public void ALocalDiskScript_EndsTheBootOnlyOnceItReachedItsBootloader(DeploymentState current, TransitionAction action, DeploymentState to)
    {
        var d = DeploymentStateMachine.Decide(current, new DeploymentEvent(DeploymentEventKind.BootScriptFetched, HandsOffToLocalDisk: true));
        Assert.That((d.Action, d.To), Is.EqualTo((action, (DeploymentState?)to)));
    }

    [TestCase(DeploymentState.Bootloader, TransitionAction.Move, DeploymentState.Copying)]
    [TestCase(DeploymentState.Streaming, TransitionAction.Move, DeploymentState.Copying)]
    [TestCase(DeploymentState.OsUp, TransitionAction.Move, DeploymentState.Copying)]
    [TestCase(DeploymentState.Copying, TransitionAction.Stay, null)]
    [TestCase(DeploymentState.Pxe, TransitionAction.Ignore, null)]
    [TestCase(DeploymentState.Done, TransitionAction.Ignore, null)]
    public void DiskReadWithACopyPercent_TheDeployCopiersReads_MovesToCopying(DeploymentState current, TransitionAction action, DeploymentState? to)
    {
        var d = DeploymentStateMachine.Decide(current, new DeploymentEvent(DeploymentEventKind.DiskRead, BytesStreamed: 512, CopyPercent: 1));
        Assert.That((d.Action, d.To), Is.EqualTo((action, to)));
        var plain = DeploymentStateMachine.Decide(DeploymentState.Bootloader, new DeploymentEvent(DeploymentEventKind.DiskRead, BytesStreamed: 512));
        Assert.That(plain.To, Is.EqualTo(DeploymentState.Streaming), "stream mode's reads still mean streaming");
    }

    [TestCase(DeploymentState.Streaming, NodeMode.Stream, TransitionAction.Move, DeploymentState.OsUp)]
    [TestCase(DeploymentState.Streaming, NodeMode.Deploy, TransitionAction.Move, DeploymentState.OsUp)]
    [TestCase(DeploymentState.Bootloader, NodeMode.Stream, TransitionAction.Move, DeploymentState.OsUp)]
    [TestCase(DeploymentState.Bootloader, NodeMode.Deploy, TransitionAction.Ignore, null)]
    [TestCase(DeploymentState.Bootloader, NodeMode.None, TransitionAction.Ignore, null)]
    [TestCase(DeploymentState.OsUp, NodeMode.Stream, TransitionAction.Stay, null)]
    [TestCase(DeploymentState.Pxe, NodeMode.Stream, TransitionAction.Ignore, null)]
    [TestCase(DeploymentState.Copying, NodeMode.Deploy, TransitionAction.Ignore, null)]
    [TestCase(DeploymentState.Done, NodeMode.Local, TransitionAction.Ignore, null)]
    [TestCase(DeploymentState.Failed, NodeMode.Stream, TransitionAction.Ignore, null)]
    [TestCase(null, NodeMode.Stream, TransitionAction.Ignore, null)]
    public void AnOsDhcpClient_WhileTheNodeStreams_MeansItsOsCameUp(DeploymentState? current, NodeMode mode, TransitionAction action, DeploymentState? to)
    {
        var d = DeploymentStateMachine.Decide(current, new DeploymentEvent(DeploymentEventKind.DhcpContact, IsBootFirmware: false), mode);
        Assert.That((d.Action, d.To), Is.EqualTo((action, to)));
        // Boot firmware's DHCP in the same states is a boot, never an OS coming up.
        var firmware = DeploymentStateMachine.Decide(current, new DeploymentEvent(DeploymentEventKind.DhcpContact), mode);
        Assert.That(firmware.To, Is.Not.EqualTo(DeploymentState.OsUp));
    }

    [TestCase("udhcp 1.35.0", FirmwareKind.Other, false, "the OS asked DHCP for an address (vendor class 'udhcp 1.35.0')")]
    [TestCase(null, FirmwareKind.Other, false, "the OS asked DHCP for an address (no vendor class)")]
    [TestCase("PXEClient", FirmwareKind.Other, true, "DHCP Discover")]
    [TestCase("PXEClient:Arch:00000:UNDI:002001", FirmwareKind.Bios, true, "DHCP Discover")]
    [TestCase("HTTPClient", FirmwareKind.Other, true, "DHCP Discover")]
    [TestCase("udhcp 1.35.0", FirmwareKind.Ipxe, true, "DHCP Discover")]
    [TestCase("pxeclient", FirmwareKind.Other, false, "the OS asked DHCP for an address (vendor class 'pxeclient')")]
    public void FromDhcp_TellsBootFirmwareFromAnOsClient_AndSaysWhichClientAsked(string? vendor, FirmwareKind firmware, bool isFirmware, string message)
    {
        var e = DeploymentEvent.FromDhcp(new DhcpClientContact("52:54:00:00:00:01", null, null, null, firmware, vendor, DhcpMessageType.Discover, null));
        Assert.That((e.Kind, e.IsBootFirmware, e.Message), Is.EqualTo((DeploymentEventKind.DhcpContact, isFirmware, message)));
    }

    [Test]
    public void TerminalStates_HaveNoOutgoingEdges_AndEveryLiveStateCanFail()
    {
        foreach (var to in Enum.GetValues<DeploymentState>())
        {
            Assert.That(DeploymentStateMachine.IsAllowed(DeploymentState.Done, to), Is.False);
            Assert.That(DeploymentStateMachine.IsAllowed(DeploymentState.Failed, to), Is.False);
            Assert.That(DeploymentStateMachine.IsAllowed(to, to), Is.False);
        }
        foreach (var from in Enum.GetValues<DeploymentState>().Where(s => !DeploymentStateMachine.IsTerminal(s)))
        {
            Assert.That(DeploymentStateMachine.IsAllowed(from, DeploymentState.Failed), Is.True, from.ToString());
        }
    }

    [Test]
    public void PersistedEnumValues_AreFrozen()
    {
        // These numbers are in databases. If this fails, you renumbered an enum: add new values at the
        // end instead, and never reuse a number (the catalog, node and deployment rows would change meaning).
        Assert.Multiple(() =>
        {
            Assert.That(Enum.GetValues<DeploymentState>().Select(v => ((int)v, v.ToString())), Is.EqualTo(new[]
            {
                (0, "Pxe"), (1, "Bootloader"), (2, "Streaming"), (3, "OsUp"), (4, "Copying"), (5, "Done"), (6, "Failed"),
            }));
            Assert.That(Enum.GetValues<DeploymentEventKind>().Select(v => (int)v), Is.EqualTo(new[] { 0, 1, 2, 3, 4, 5 }));
            Assert.That(Enum.GetValues<NodeMode>().Select(v => ((int)v, v.ToString())), Is.EqualTo(new[]
            {
                (0, "None"), (1, "Stream"), (2, "Deploy"), (3, "Local"), (4, "Devirt"),
            }));
            Assert.That(Enum.GetValues<Core.Nodes.NodeOrigin>().Select(v => (int)v), Is.EqualTo(new[] { 0, 1 }));
            Assert.That(Enum.GetValues<ImageStore.Catalog.CatalogImageStatus>().Select(v => (int)v), Is.EqualTo(new[] { 0, 1 }));
        });
    }
}
