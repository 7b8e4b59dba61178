using System.Net;
using Ikev2Client.Protocol.Auth;
using Ikev2Client.Protocol.Ike;
using IkeSessionClient;

// Connects to a PSK gateway, prints what it assigned, and disconnects:
//   dotnet run --project samples/IkeSessionClient -- GATEWAY_IP LOCAL_ID REMOTE_ID PSK
if (args.Length != 4 || !IPAddress.TryParse(args[0], out var gateway))
{
    Console.Error.WriteLine("usage: IkeSessionClient GATEWAY_IP LOCAL_ID REMOTE_ID PSK");
    return 2;
}
var options = new IkeSessionOptions
{
    LocalIdentity = IkeIdentity.Parse(args[1]),
    RemoteIdentity = IkeIdentity.Parse(args[2]),
    Authenticator = new PskAuthenticator(args[3]),
};
var local = gateway.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? IPAddress.Any : IPAddress.IPv6Any;
await using var client = new ExampleVpnClient(options, local);
client.EventRaised += e => Console.WriteLine(e);
try
{
    var child = await client.ConnectAsync(new IPEndPoint(gateway, 500), new CancellationTokenSource(TimeSpan.FromSeconds(30)).Token);
    Console.WriteLine($"connected: {child}; assigned {client.Configuration}");
    Console.WriteLine(await client.CloseAsync(new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token));
    return 0;
}
catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
{
    Console.Error.WriteLine($"IkeSessionClient: {e.Message}");
    return 1;
}
