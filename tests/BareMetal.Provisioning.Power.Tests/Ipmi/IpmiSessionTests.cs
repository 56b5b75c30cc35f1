using BareMetal.Provisioning.Power.Ipmi.Session;
using BareMetal.Provisioning.Power.Ipmi.Wire;
using Microsoft.Extensions.Time.Testing;

namespace BareMetal.Provisioning.Power.Tests.Ipmi;

/// <summary>The pure RMCP+ session against the fake BMC, datagram by datagram, with injected time.</summary>
public class IpmiSessionTests
{
    private static IpmiSession NewSession(FakeTimeProvider time, string password = "secret-pw") =>
        new(new IpmiSessionOptions
        {
            Credentials = new BmcCredentials("admin", password),
            RetryInterval = TimeSpan.FromSeconds(1),
            Attempts = 3,
            Random = b => b.Fill(0x42),
        }, time);

    /// <summary>Plays datagrams between session and BMC until the session stops asking to send.</summary>
    private static IpmiStep Pump(IpmiSession session, FakeIpmiBmc bmc, byte[] first)
    {
        var datagram = first;
        while (true)
        {
            var answer = bmc.Answer(datagram) ?? throw new AssertionException("the fake BMC had no answer");
            var step = session.Receive(answer);
            if (step.Kind != IpmiStepKind.Send)
            {
                return step;
            }
            datagram = step.Datagram!;
        }
    }

    [Test]
    public void Establish_ThenGetChassisStatus_ThenClose()
    {
        var time = new FakeTimeProvider();
        var bmc = new FakeIpmiBmc("admin", "secret-pw") { PowerOn = true };
        var session = NewSession(time);
        Assert.That(Pump(session, bmc, session.Connect()).Kind, Is.EqualTo(IpmiStepKind.Ready));
        Assert.That(session.State, Is.EqualTo(IpmiSessionState.Active));
        var step = Pump(session, bmc, session.Send(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.GetChassisStatus, [])));
        Assert.That(step.Kind, Is.EqualTo(IpmiStepKind.Response));
        Assert.That(step.Response!.Data[0] & 1, Is.EqualTo(1));
        Assert.That(Pump(session, bmc, session.Close()).Kind, Is.EqualTo(IpmiStepKind.Closed));
        Assert.That(bmc.SessionOpen, Is.False);
    }

    [Test]
    public void WrongPassword_FailsAsAuthenticationFailed_QuotingRakp4sStatus()
    {
        var bmc = new FakeIpmiBmc("admin", "secret-pw");
        var session = NewSession(new FakeTimeProvider(), "wrong-pw");
        var step = Pump(session, bmc, session.Connect());
        Assert.That(step.Kind, Is.EqualTo(IpmiStepKind.Failed));
        Assert.That(step.Error!.Failure, Is.EqualTo(PowerFailure.AuthenticationFailed));
        Assert.That(step.Error.Message, Does.Contain("Invalid integrity check value (0x0f)").And.Not.Contain("wrong-pw").And.Not.Contain("secret-pw"));
    }

    [Test]
    public void SilentBmc_IsRetriedOnTheTimer_ThenUnreachable()
    {
        var time = new FakeTimeProvider();
        var session = NewSession(time);
        var first = session.Connect();
        Assert.That(session.OnTimer().Kind, Is.EqualTo(IpmiStepKind.Ignore), "not before the deadline");
        time.Advance(TimeSpan.FromSeconds(1));
        var again = session.OnTimer();
        Assert.That(again.Kind, Is.EqualTo(IpmiStepKind.Send));
        Assert.That(again.Datagram, Is.EqualTo(first));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.That(session.OnTimer().Kind, Is.EqualTo(IpmiStepKind.Send));
        time.Advance(TimeSpan.FromSeconds(1));
        var failed = session.OnTimer();
        Assert.That(failed.Kind, Is.EqualTo(IpmiStepKind.Failed));
        Assert.That(failed.Error!.Failure, Is.EqualTo(PowerFailure.Unreachable));
        Assert.That(failed.Error.Message, Does.Contain("3 attempts over 3 s"));
    }

    [Test]
    public void ForgedOrReplayedPacketsInsideTheSession_AreDropped_AndTheRealAnswerStillCounts()
    {
        var bmc = new FakeIpmiBmc("admin", "secret-pw");
        var session = NewSession(new FakeTimeProvider());
        Pump(session, bmc, session.Connect());
        var request = session.Send(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.GetChassisStatus, []));
        var answer = bmc.Answer(request)!;
        var forged = (byte[])answer.Clone();
        forged[^1] ^= 1;
        Assert.That(session.Receive(forged).Kind, Is.EqualTo(IpmiStepKind.Ignore));
        Assert.That(session.Receive(answer).Kind, Is.EqualTo(IpmiStepKind.Response));
        session.Send(new IpmiRequest(IpmiNetFn.Chassis, IpmiCommand.GetChassisStatus, []));
        Assert.That(session.Receive(answer).Kind, Is.EqualTo(IpmiStepKind.Ignore), "a replay of the previous answer");
    }

    [Test]
    public void UnknownUser_IsRefusedWithUnauthorizedName()
    {
        var bmc = new FakeIpmiBmc("root", "secret-pw");
        var session = NewSession(new FakeTimeProvider());
        var step = Pump(session, bmc, session.Connect());
        Assert.That(step.Error!.Failure, Is.EqualTo(PowerFailure.AuthenticationFailed));
        Assert.That(step.Error.Message, Does.Contain("Unauthorized name (0x0d)"));
    }

    [Test]
    public void PasswordLongerThan20Bytes_IsRefusedUpFront()
    {
        var e = Assert.Throws<PowerException>(() => NewSession(new FakeTimeProvider(), new string('x', 21)))!;
        Assert.That(e.Failure, Is.EqualTo(PowerFailure.Unsupported));
        Assert.That(e.Message, Does.Not.Contain("xxxxx"));
    }
}
