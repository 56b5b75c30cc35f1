using BareMetal.ImageStore.Iscsi.Session;
using BareMetal.ImageStore.Iscsi.Wire;

namespace BareMetal.ImageStore.Iscsi.Tests;

public sealed class LoginTests
{
    [Test]
    public void Login_SecurityThenOperational_ReachesFullFeatureWithTsih()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        var replies = i.Login();
        Assert.That(replies, Has.Count.EqualTo(1));
        var r = replies[0];
        Assert.Multiple(() =>
        {
            Assert.That(r.Opcode, Is.EqualTo(IscsiOpcode.LoginResponse));
            Assert.That(r.StatusWord, Is.Zero);
            Assert.That(r.Flags & 0x83, Is.EqualTo(0x83), "T bit and NSG=3");
            Assert.That(r.Bhs[14] << 8 | r.Bhs[15], Is.EqualTo(7), "TSIH");
            Assert.That(i.Session.State, Is.EqualTo(IscsiSessionState.FullFeature));
            Assert.That(r.Text, Does.Contain("HeaderDigest=None\0").And.Contain("ImmediateData=Yes\0").And.Contain("InitialR2T=No\0"));
            Assert.That(r.Text, Does.Contain("MaxRecvDataSegmentLength=262144\0"));
        });
    }

    [Test]
    public void Login_StraightToOperationalStage_Works()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        var keys = Initiator.Keys("InitiatorName=iqn.x:y", "TargetName=iqn.2026-11.dev.baremetal:disk", "SessionType=Normal", "HeaderDigest=None,CRC32C",
            "InitialR2T=No", "ImmediateData=Yes", "MaxRecvDataSegmentLength=262144", "IFMarker=No", "DefaultTime2Wait=2");
        var r = i.Send(Initiator.Pdu(IscsiOpcode.LoginRequest, 0x80 | (1 << 2) | 3, keys, b => b[0] |= 0x40));
        Assert.Multiple(() =>
        {
            Assert.That(r.Single().StatusWord, Is.Zero);
            Assert.That(i.Session.State, Is.EqualTo(IscsiSessionState.FullFeature));
            Assert.That(r[0].Text, Does.Contain("TargetPortalGroupTag=1\0"));
        });
    }

    [Test]
    public void Login_UnknownTarget_FailsWithTargetNotFoundAndCloses()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        var r = i.Login(target: "iqn.2026-11.dev.baremetal:nope");
        Assert.That(r.Single().StatusWord, Is.EqualTo(LoginStatus.TargetNotFound));
        Assert.That(i.Session.State, Is.EqualTo(IscsiSessionState.Closed));
    }

    [Test]
    public void Login_OnlyChap_FailsWithAuthenticationFailure()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        var r = i.Send(Initiator.Pdu(IscsiOpcode.LoginRequest, 0x81, Initiator.Keys("InitiatorName=a", "TargetName=iqn.2026-11.dev.baremetal:disk", "AuthMethod=CHAP")));
        Assert.That(r.Single().StatusWord, Is.EqualTo(LoginStatus.AuthenticationFailed));
    }

    [Test]
    public void Login_GarbageKeys_FailsWithInitiatorError()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        var r = i.Send(Initiator.Pdu(IscsiOpcode.LoginRequest, 0x81, "no equals sign here\0"u8));
        Assert.That(r.Single().StatusWord, Is.EqualTo(LoginStatus.InitiatorError));
        Assert.That(i.Session.State, Is.EqualTo(IscsiSessionState.Closed));
    }

    [Test]
    public void Login_ScsiCommandBeforeLogin_ClosesWithoutReply()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        var r = i.Send(i.Command(Initiator.Read10(0, 1), 512, read: true, write: false));
        Assert.That(r, Is.Empty);
        Assert.That(i.Session.State, Is.EqualTo(IscsiSessionState.Closed));
    }

    [Test]
    public void Discovery_SendTargetsAll_ListsEveryExportWithPortal()
    {
        using var t = new TestExports();
        var i = t.NewInitiator();
        Assert.That(i.Login(sessionType: "Discovery")[^1].StatusWord, Is.Zero);
        var r = i.Send(Initiator.Pdu(IscsiOpcode.TextRequest, 0x80, Initiator.Keys("SendTargets=All"), b => { Initiator.Word(b, 16, 9); Initiator.Word(b, 20, 0xffffffff); Initiator.Word(b, 24, i.CmdSN++); }));
        Assert.That(r.Single().Text, Is.EqualTo("TargetName=iqn.2026-11.dev.baremetal:disk\0TargetAddress=127.0.0.1:3260,1\0"));
    }

    [TestCase("iqn.2026-11.dev.baremetal:disk", "disk")]
    [TestCase("iqn.2026-11.dev.baremetal:disk@node1", "disk@node1")]
    [TestCase("iqn.2026-11.dev.baremetal:disk:node1", "disk@node1")]
    [TestCase("IQN.2026-11.DEV.BAREMETAL:disk", "disk")]
    [TestCase("iqn.2026-11.dev.baremetal:", null)]
    [TestCase("iqn.2000-01.com.example:disk", null)]
    public void TargetNames_MapToExportNames(string target, string? export) =>
        Assert.That(IscsiTargetNames.ToExport(target), Is.EqualTo(export));
}
