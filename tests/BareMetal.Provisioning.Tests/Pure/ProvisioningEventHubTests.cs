using BareMetal.Provisioning.Core.Events;

namespace BareMetal.Provisioning.Tests.Pure;

public class ProvisioningEventHubTests
{
    private static ProvisioningChange Setting(string key) =>
        new(ProvisioningChangeKind.SettingChanged, DateTimeOffset.UnixEpoch, SettingKey: key);

    [Test]
    public async Task AChangePublishedBeforeTheFirstMoveNext_IsHeard()
    {
        // The listener of a settings-driven policy starts on another task; a change saved between
        // SubscribeAsync and its first MoveNextAsync was lost (CI failure of 2026-12-01).
        var hub = new ProvisioningEventHub();
        var feed = hub.SubscribeAsync();
        Assert.That(hub.SubscriberCount, Is.EqualTo(1), "registered by the call itself");
        hub.Publish(Setting("boot.file.x64"));
        await using var e = feed.GetAsyncEnumerator();
        Assert.That(await e.MoveNextAsync(), Is.True);
        Assert.That(e.Current.SettingKey, Is.EqualTo("boot.file.x64"));
    }

    [Test]
    public async Task DisposingTheEnumerator_Unsubscribes_AndCancellationEndsTheFeed()
    {
        var hub = new ProvisioningEventHub();
        using var cts = new CancellationTokenSource();
        var feed = hub.SubscribeAsync(cts.Token);
        var e = feed.GetAsyncEnumerator();
        var pending = e.MoveNextAsync().AsTask();
        Assert.That(pending.IsCompleted, Is.False, "nothing published yet");
        await cts.CancelAsync();
        Assert.That(await pending.WaitAsync(TimeSpan.FromSeconds(30)), Is.False);
        Assert.That(hub.SubscriberCount, Is.EqualTo(1), "still registered until disposed");
        await e.DisposeAsync();
        await e.DisposeAsync();
        Assert.That(hub.SubscriberCount, Is.Zero);
        Assert.That(() => feed.GetAsyncEnumerator(), Throws.InvalidOperationException, "a subscription is read once");
    }

    [Test]
    public async Task ASlowSubscriber_LosesItsOldestChanges_NotTheNewest_AndOthersAreUnaffected()
    {
        var hub = new ProvisioningEventHub();
        var slow = hub.SubscribeAsync().GetAsyncEnumerator();
        var other = hub.SubscribeAsync().GetAsyncEnumerator();
        for (var i = 0; i < ProvisioningEventHub.QueueLength + 10; i++)
        {
            hub.Publish(Setting($"k{i}"));
        }
        Assert.That(await slow.MoveNextAsync(), Is.True);
        Assert.That(slow.Current.SettingKey, Is.EqualTo("k10"));
        Assert.That(await other.MoveNextAsync(), Is.True);
        Assert.That(other.Current.SettingKey, Is.EqualTo("k10"));
        await slow.DisposeAsync();
        hub.Publish(Setting("last"));
        Assert.That(hub.SubscriberCount, Is.EqualTo(1));
        await other.DisposeAsync();
    }
}
