using System.Text;
using FluentAssertions;
using Ikev2Client.Profiles;
using Ikev2Client.Service;
using Ikev2Client.Tests.Profiles;
using Xunit;

namespace Ikev2Client.Tests.Service;

/// <summary>
/// The managed directory on a temporary directory: one pass at a time with the time passed in
/// (<see cref="ManagedDirectorySync"/>), and the real watcher (notifications and rescans).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class ManagedDirectoryTests : IAsyncDisposable
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(1);
    private readonly string _dir = ServiceTestData.NewTempDir();
    private readonly ProfileStore _store;
    private readonly FakeVpnConnectionFactory _factory = new();
    private readonly LogCapture _log = new();
    private readonly VpnManagerService _manager;
    private readonly ManagedDirectorySync _sync;

    public ManagedDirectoryTests()
    {
        _store = new ProfileStore(_dir);
        ManagedFiles.CreateDirectory(_store);
        _manager = new VpnManagerService(new VpnManagerOptions { Store = _store, ConnectionFactory = _factory, Time = new ManualClock(), LoggerFactory = _log });
        _sync = new ManagedDirectorySync(_manager, _store, new ManagedDirectoryOptions { SettleTime = Settle }, _log);
    }

    public async ValueTask DisposeAsync()
    {
        await _manager.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>A pass well after every write (the files have settled).</summary>
    private Task<bool> ScanLater() => _sync.ScanAsync(DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5));

    private ManagedFileStatus? Status(string file) => _store.ReadManagedStatus().SingleOrDefault(f => f.File == file);

    [Fact]
    public async Task Every_import_format_becomes_a_managed_profile_with_its_secrets_stored0600_and_never_logged()
    {
        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp")));
        ManagedFiles.Drop(_store, "office.sswan", ProfileTestData.Bytes("office-eap.sswan"));
        ManagedFiles.Drop(_store, "policy.json", ProfileTestData.Bytes("managed-policy.json"));
        ManagedFiles.Drop(_store, "apple.mobileconfig", ProfileTestData.Bytes("jawj-eap.mobileconfig"));
        ManagedFiles.Drop(_store, "windows.xml", ProfileTestData.Bytes("windows-eap.xml"));

        (await ScanLater()).Should().BeFalse("nothing is still being written");

        var formats = _store.ReadManagedStatus().ToDictionary(f => f.File, f => f.Format);
        formats.Should().BeEquivalentTo(new Dictionary<string, string?>
        {
            ["corp.json"] = "Native", ["office.sswan"] = "Sswan", ["policy.json"] = "AndroidManagedConfiguration",
            ["apple.mobileconfig"] = "Mobileconfig", ["windows.xml"] = "WindowsProfileXml",
        });
        _store.ReadManagedStatus().Should().OnlyContain(f => f.Error == null && f.Profile != null);
        var names = _store.ReadManagedStatus().Select(f => f.Profile!).ToList();
        _store.ListManaged().Should().BeEquivalentTo(names);
        names.Should().OnlyContain(n => _store.IsManaged(n) && _store.List().Contains(n));
        _store.ManagedSourceOf("corp").Should().Be(Path.Combine(_store.ManagedDirectory, "corp.json"));
        _store.Load("corp").Psk.Should().Equal(Encoding.UTF8.GetBytes(ServiceTestData.Psk));
        _store.Load("Office EAP").Password.Should().Be("s3cret-pass");

        var secrets = Path.Combine(_dir, "managed", "secrets");
        File.GetUnixFileMode(secrets).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.GetFiles(secrets).Should().NotBeEmpty().And.OnlyContain(f => File.GetUnixFileMode(f) == ManagedFiles.Private);
        File.ReadAllText(Path.Combine(_dir, "managed", "profiles", "corp.json")).Should().NotContain(ServiceTestData.Psk);
        File.ReadAllText(Path.Combine(_dir, "managed", "status.json")).Should().NotContain(ServiceTestData.Psk).And.NotContain("s3cret-pass");
        _log.Text.Should().Contain("applied from").And.NotContain(ServiceTestData.Psk).And.NotContain("s3cret-pass").And.NotContain("dave-password")
            .And.NotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(ServiceTestData.Psk)));

        var state = await _manager.GetProvisionedVpnProfileStateAsync("corp");
        state.ManagedBy.Should().Be(Path.Combine(_store.ManagedDirectory, "corp.json"));
    }

    [Fact]
    public async Task A_changed_file_updates_the_profile()
    {
        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", "gw1.example.com")));
        await ScanLater();
        _store.Load("corp").ServerAddr.Should().Be("gw1.example.com");
        var first = Status("corp.json")!.Sha256;

        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", "gw2.example.com")));
        await ScanLater();
        _store.Load("corp").ServerAddr.Should().Be("gw2.example.com");
        Status("corp.json")!.Sha256.Should().NotBe(first);
        _store.ListManaged().Should().Equal("corp");
    }

    [Fact]
    public async Task An_invalid_change_is_reported_once_and_leaves_the_previous_version_in_force()
    {
        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", "gw1.example.com")));
        await ScanLater();

        ManagedFiles.Drop(_store, "corp.json", """{"name": "corp", "authMethod": "psk", "psk": "x"}""");
        await ScanLater();
        await ScanLater(); // a second pass over the same bad content reports nothing new
        _store.Load("corp").ServerAddr.Should().Be("gw1.example.com", "the previous version stays in force");
        var status = Status("corp.json")!;
        status.Profile.Should().Be("corp");
        status.Error.Should().Contain("serverAddr");
        _log.Lines.Where(l => l.Contains("not applied")).Should().ContainSingle()
            .Which.Should().Contain("corp.json").And.Contain("serverAddr").And.Contain("previous version of 'corp' stays in force");

        ManagedFiles.Drop(_store, "corp.json", "{ not json");
        await ScanLater();
        Status("corp.json")!.Error.Should().NotContain("serverAddr", "the error follows the current content");

        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", "gw3.example.com")));
        await ScanLater();
        _store.Load("corp").ServerAddr.Should().Be("gw3.example.com");
        Status("corp.json")!.Error.Should().BeNull();
    }

    [Fact]
    public async Task A_file_that_was_never_valid_is_reported_and_provides_nothing()
    {
        ManagedFiles.Drop(_store, "broken.sswan", ProfileTestData.Bytes("broken.sswan"));
        await ScanLater();
        var status = Status("broken.sswan")!;
        status.Profile.Should().BeNull();
        status.Error.Should().NotBeNullOrEmpty();
        _store.ListManaged().Should().BeEmpty();
        _log.Text.Should().Contain("broken.sswan not applied");
    }

    [Fact]
    public async Task A_deleted_file_removes_the_profile_and_its_secrets()
    {
        var path = ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp")));
        await ScanLater();
        File.Exists(Path.Combine(_dir, "managed", "secrets", "corp.json")).Should().BeTrue();

        File.Delete(path);
        await ScanLater();
        _store.IsManaged("corp").Should().BeFalse();
        _store.Exists("corp").Should().BeFalse();
        File.Exists(Path.Combine(_dir, "managed", "profiles", "corp.json")).Should().BeFalse();
        File.Exists(Path.Combine(_dir, "managed", "secrets", "corp.json")).Should().BeFalse();
        _store.ReadManagedStatus().Should().BeEmpty();
        (await _manager.GetAllVpnProfileStatesAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task A_half_written_file_is_read_only_once_it_has_stopped_changing()
    {
        // Written in place (not renamed), in two halves: the first half is not valid JSON.
        var path = Path.Combine(_store.ManagedDirectory, "corp.json");
        var text = ManagedFiles.Native(ManagedFiles.Profile("corp"));
        File.WriteAllText(path, text[..(text.Length / 2)]);
        var firstWrite = new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);

        (await _sync.ScanAsync(firstWrite + TimeSpan.FromMilliseconds(100))).Should().BeTrue("the file changed 100 ms ago");
        Status("corp.json").Should().BeNull("a file that is still changing is not read");

        File.AppendAllText(path, text[(text.Length / 2)..]);
        var secondWrite = new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero);
        (await _sync.ScanAsync(secondWrite + TimeSpan.FromMilliseconds(900))).Should().BeTrue("it changed again: the wait starts over");
        Status("corp.json").Should().BeNull();

        (await _sync.ScanAsync(secondWrite + Settle + TimeSpan.FromMilliseconds(100))).Should().BeFalse();
        _store.Load("corp").Psk.Should().Equal(Encoding.UTF8.GetBytes(ServiceTestData.Psk));
        Status("corp.json")!.Error.Should().BeNull();
        _log.Text.Should().NotContain("not applied", "the half-written content was never parsed");
    }

    [Fact]
    public async Task A_file_with_a_time_stamp_in_the_future_is_read_once_unchanged_for_the_settle_time()
    {
        var path = ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp")));
        var future = DateTime.UtcNow.AddHours(1);
        File.SetLastWriteTimeUtc(path, future);
        var now = DateTimeOffset.UtcNow;
        (await _sync.ScanAsync(now)).Should().BeTrue();
        _store.IsManaged("corp").Should().BeFalse();
        (await _sync.ScanAsync(now + Settle)).Should().BeFalse();
        _store.IsManaged("corp").Should().BeTrue("unchanged for the settle time by our own clock");
    }

    [Fact]
    public async Task Temporary_dot_and_backup_files_are_not_profiles()
    {
        var text = ManagedFiles.Native(ManagedFiles.Profile("corp"));
        foreach (var name in new[] { ".corp.json", "corp.json.tmp", "corp.json~", "corp.json.part", "corp.json.dpkg-new", "corp.json.bak" })
            File.WriteAllText(Path.Combine(_store.ManagedDirectory, name), text);
        Directory.CreateDirectory(Path.Combine(_store.ManagedDirectory, "sub.json"));
        await ScanLater();
        _store.ListManaged().Should().BeEmpty();
        _store.ReadManagedStatus().Should().BeEmpty();
    }

    [Fact]
    public async Task Two_files_naming_one_profile_the_second_is_reported()
    {
        ManagedFiles.Drop(_store, "a.json", ManagedFiles.Native(ManagedFiles.Profile("corp", "gw-a.example.com")));
        ManagedFiles.Drop(_store, "b.json", ManagedFiles.Native(ManagedFiles.Profile("corp", "gw-b.example.com")));
        await ScanLater();
        _store.Load("corp").ServerAddr.Should().Be("gw-a.example.com");
        Status("b.json")!.Error.Should().Contain("a.json already provides");
        Status("b.json")!.Profile.Should().BeNull();
    }

    [Fact]
    public async Task A_file_that_now_names_another_profile_replaces_the_old_one()
    {
        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("old-name")));
        await ScanLater();
        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("new-name")));
        await ScanLater();
        _store.ListManaged().Should().Equal("new-name");
        Status("corp.json")!.Profile.Should().Be("new-name");
    }

    [Fact]
    public async Task Files_or_a_directory_writable_by_others_are_not_trusted()
    {
        var path = ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp")));
        File.SetUnixFileMode(path, ManagedFiles.Private | UnixFileMode.OtherWrite);
        await ScanLater();
        _store.IsManaged("corp").Should().BeFalse();
        Status("corp.json")!.Error.Should().Contain("writable by group or others");

        File.SetUnixFileMode(path, ManagedFiles.Private);
        await ScanLater();
        _store.IsManaged("corp").Should().BeTrue();

        // A directory anyone can write to: nothing in it is applied or removed until it is fixed.
        File.SetUnixFileMode(_store.ManagedDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        File.Delete(path);
        await ScanLater();
        _store.IsManaged("corp").Should().BeTrue("a deletion in an untrusted directory is not acted on");
        Status("corp.json")!.Error.Should().Contain("writable by group or others");
        var other = ManagedFiles.Drop(_store, "home.json", ManagedFiles.Native(ManagedFiles.Profile("home")));
        await ScanLater();
        _store.IsManaged("home").Should().BeFalse("nor is a new file");
        Status("home.json")!.Error.Should().Contain("writable by group or others");

        File.SetUnixFileMode(_store.ManagedDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        await ScanLater();
        _store.IsManaged("corp").Should().BeFalse("once the directory is fixed, the deletion is acted on");
        _store.IsManaged("home").Should().BeTrue();
        Status("home.json")!.Error.Should().BeNull();
        File.Exists(other).Should().BeTrue();
    }

    [Fact]
    public async Task A_managed_profile_shadows_a_user_profile_which_comes_back_when_the_file_goes()
    {
        _store.Save(ManagedFiles.Profile("corp", "user.example.com"));
        var path = ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp", "mdm.example.com")));
        await ScanLater();
        _store.Load("corp").ServerAddr.Should().Be("mdm.example.com", "managed wins");
        _store.HasUserProfile("corp").Should().BeTrue("the user profile is kept, shadowed");
        _store.List().Should().Equal("corp");
        _log.Text.Should().Contain("shadows the user profile");

        File.Delete(path);
        await ScanLater();
        _store.Load("corp").ServerAddr.Should().Be("user.example.com");
        _store.IsManaged("corp").Should().BeFalse();
    }

    [Fact]
    public async Task A_status_lost_with_a_managed_profile_still_stored_is_repaired_from_the_files()
    {
        // The service stopped between storing a profile and writing the status, and its file was deleted meanwhile.
        _store.SaveManaged(ManagedFiles.Profile("orphan"));
        await ScanLater();
        _store.IsManaged("orphan").Should().BeFalse();
        _log.Text.Should().Contain("no file in");
    }

    [Fact]
    public async Task The_watcher_applies_a_file_renamed_into_place_and_a_deletion_within_seconds()
    {
        await using var watcher = new ManagedDirectoryWatcher(_manager, _store, new ManagedDirectoryOptions(), _log);
        watcher.Start();
        var path = ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp")));
        await WaitUntil(() => _store.IsManaged("corp"), TimeSpan.FromSeconds(5));
        File.Delete(path);
        await WaitUntil(() => !_store.Exists("corp"), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Without_change_notifications_the_rescan_alone_applies_a_file_within_five_seconds()
    {
        await using var watcher = new ManagedDirectoryWatcher(_manager, _store, new ManagedDirectoryOptions { Notifications = false }, _log);
        watcher.Start();
        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp")));
        await WaitUntil(() => _store.IsManaged("corp"), TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task The_watcher_creates_a_missing_directory_owner_only()
    {
        Directory.Delete(_store.ManagedDirectory);
        await using var watcher = new ManagedDirectoryWatcher(_manager, _store, new ManagedDirectoryOptions(), _log);
        watcher.Start();
        File.GetUnixFileMode(_store.ManagedDirectory).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ManagedFiles.Drop(_store, "corp.json", ManagedFiles.Native(ManagedFiles.Profile("corp")));
        await WaitUntil(() => _store.IsManaged("corp"), TimeSpan.FromSeconds(5));
    }

    internal static async Task WaitUntil(Func<bool> condition, TimeSpan within)
    {
        var until = DateTime.UtcNow + within;
        while (!condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"condition not met within {within.TotalSeconds} s");
            await Task.Delay(20);
        }
    }
}
