using System.Net.Sockets;
using FluentAssertions;
using Ikev2Client.Connection;
using Ikev2Client.Profiles;
using Ikev2Client.Protocol.Ike;
using Ikev2Client.Protocol.Wire;
using Ikev2Client.Service;
using Xunit;

namespace Ikev2Client.Tests.Service;

public sealed class VpnErrorMapperTests
{
    [Fact]
    public void Protocol_timeout_is_a_recoverable_network_error()
    {
        var e = VpnErrorMapper.FromIkeError(new IkeError(IkeErrorKind.ProtocolTimeout, "no answer"));
        e.Category.Should().Be(VpnErrorCategory.Network);
        e.ErrorClass.Should().Be(VpnErrorCodes.ErrorClassRecoverable).And.Be(2);
        e.ErrorCode.Should().Be(VpnErrorCodes.ErrorCodeNetworkProtocolTimeout).And.Be(1);
        e.CodeName.Should().Be("ERROR_CODE_NETWORK_PROTOCOL_TIMEOUT");
        e.Advice.Should().NotBeNullOrEmpty();
    }

    [Theory]
    [InlineData(NotifyType.AuthenticationFailed, 24, "ERROR_CODE_IKE_AUTHENTICATION_FAILED", false)]
    [InlineData(NotifyType.NoProposalChosen, 14, "ERROR_CODE_IKE_NO_PROPOSAL_CHOSEN", false)]
    [InlineData(NotifyType.TsUnacceptable, 38, "ERROR_CODE_IKE_TS_UNACCEPTABLE", false)]
    [InlineData(NotifyType.InvalidSyntax, 7, "ERROR_CODE_IKE_INVALID_SYNTAX", false)]
    [InlineData(NotifyType.AuthorizationFailed, 46, "ERROR_CODE_IKE_AUTHORIZATION_FAILED", false)]
    [InlineData(NotifyType.TemporaryFailure, 43, "ERROR_CODE_IKE_TEMPORARY_FAILURE", true)]
    [InlineData(NotifyType.InternalAddressFailure, 36, "ERROR_CODE_IKE_INTERNAL_ADDRESS_FAILURE", true)]
    public void Peer_notifies_carry_the_notify_type_as_code_and_are_classified(NotifyType notify, int code, string name, bool recoverable)
    {
        var e = VpnErrorMapper.FromIkeError(IkeError.FromPeerNotify(notify, "IKE_AUTH"));
        e.Category.Should().Be(VpnErrorCategory.Ike);
        e.ErrorCode.Should().Be(code);
        e.CodeName.Should().Be(name);
        e.IsRecoverable.Should().Be(recoverable);
        e.ErrorClass.Should().Be(recoverable ? 2 : 1);
        e.Message.Should().NotBeNullOrWhiteSpace();
    }

    [Fact]
    public void An_unknown_notify_is_recoverable_with_its_number()
    {
        var e = VpnErrorMapper.FromIkeError(IkeError.FromPeerNotify((NotifyType)9999, "IKE_SA_INIT"));
        e.ErrorCode.Should().Be(9999);
        e.CodeName.Should().Be("ERROR_CODE_IKE_NOTIFY_9999");
        e.IsRecoverable.Should().BeTrue();
    }

    [Theory]
    [InlineData(IkeErrorKind.AuthenticationFailed, 24)]
    [InlineData(IkeErrorKind.IdentityMismatch, 24)]
    [InlineData(IkeErrorKind.NoProposalChosen, 14)]
    [InlineData(IkeErrorKind.InvalidKeGroup, 17)]
    [InlineData(IkeErrorKind.TrafficSelectorsUnacceptable, 38)]
    [InlineData(IkeErrorKind.InvalidMessage, 7)]
    public void Locally_detected_failures_are_not_recoverable(IkeErrorKind kind, int code)
    {
        var e = VpnErrorMapper.FromIkeError(new IkeError(kind, "local check failed"));
        e.ErrorClass.Should().Be(VpnErrorCodes.ErrorClassNotRecoverable);
        e.ErrorCode.Should().Be(code);
        e.Advice.Should().NotBeNullOrEmpty();
    }

    [Fact]
    public void Internal_errors_are_not_recoverable() =>
        VpnErrorMapper.FromIkeError(new IkeError(IkeErrorKind.Internal, "bad options")).Category.Should().Be(VpnErrorCategory.Internal);

    [Theory]
    [InlineData(SocketError.HostNotFound, VpnErrorCodes.ErrorCodeNetworkUnknownHost, "ERROR_CODE_NETWORK_UNKNOWN_HOST")]
    [InlineData(SocketError.TryAgain, VpnErrorCodes.ErrorCodeNetworkUnknownHost, "ERROR_CODE_NETWORK_UNKNOWN_HOST")]
    [InlineData(SocketError.NetworkUnreachable, VpnErrorCodes.ErrorCodeNetworkLost, "ERROR_CODE_NETWORK_LOST")]
    [InlineData(SocketError.NetworkDown, VpnErrorCodes.ErrorCodeNetworkLost, "ERROR_CODE_NETWORK_LOST")]
    [InlineData(SocketError.ConnectionRefused, VpnErrorCodes.ErrorCodeNetworkIo, "ERROR_CODE_NETWORK_IO")]
    public void Socket_failures_map_to_recoverable_network_codes(SocketError error, int code, string name)
    {
        var e = VpnErrorMapper.FromException(new SocketException((int)error));
        e.Category.Should().Be(VpnErrorCategory.Network);
        e.ErrorCode.Should().Be(code);
        e.CodeName.Should().Be(name);
        e.IsRecoverable.Should().BeTrue();
    }

    [Fact]
    public void Profile_problems_are_not_recoverable()
    {
        var e = VpnErrorMapper.FromException(new ProfileStoreException("stored profile 'x' is damaged"));
        e.Category.Should().Be(VpnErrorCategory.Profile);
        e.IsRecoverable.Should().BeFalse();
        VpnErrorMapper.FromException(new IOException("disk")).CodeName.Should().Be("ERROR_CODE_NETWORK_IO");
        VpnErrorMapper.FromException(new VpnErrorException(ServiceTestData.AuthFailed())).ErrorCode.Should().Be(24);
    }

    [Fact]
    public void Android_constant_values()
    {
        (VpnErrorCodes.ErrorClassNotRecoverable, VpnErrorCodes.ErrorClassRecoverable).Should().Be((1, 2));
        new[] { VpnErrorCodes.ErrorCodeNetworkUnknownHost, VpnErrorCodes.ErrorCodeNetworkProtocolTimeout, VpnErrorCodes.ErrorCodeNetworkLost, VpnErrorCodes.ErrorCodeNetworkIo }
            .Should().Equal(0, 1, 2, 3);
        ((int)VpnState.Disconnected, (int)VpnState.Connecting, (int)VpnState.Connected, (int)VpnState.Failed, (int)VpnState.Disconnecting)
            .Should().Be((0, 1, 2, 3, 4));
    }
}

public sealed class VpnConnectionAdapterErrorTests
{
    [Fact]
    public void Engine_failures_map_to_service_errors()
    {
        VpnConnectionAdapter.Map(new Ikev2Client.Connection.VpnConnectionException("x",
            IkeError.FromPeerNotify(NotifyType.AuthenticationFailed, "IKE_AUTH"))).ErrorCode.Should().Be(24);
        VpnConnectionAdapter.Map(new Ikev2Client.Connection.VpnConnectionException("no answer from 192.0.2.1:500 within 30 s"))
            .CodeName.Should().Be("ERROR_CODE_NETWORK_PROTOCOL_TIMEOUT");
        VpnConnectionAdapter.Map(new Ikev2Client.Connection.VpnConnectionException("unknown host 'vpn.invalid'"))
            .CodeName.Should().Be("ERROR_CODE_NETWORK_UNKNOWN_HOST");
        var profile = VpnConnectionAdapter.Map(new Ikev2Client.Connection.VpnConnectionException("profile 'a': only PSK authentication is supported by this client so far"));
        profile.Category.Should().Be(VpnErrorCategory.Profile);
        profile.IsRecoverable.Should().BeFalse();
        VpnConnectionAdapter.Map(new Ikev2Client.Connection.VpnConnectionException("network error", null, new SocketException((int)SocketError.NetworkUnreachable)))
            .CodeName.Should().Be("ERROR_CODE_NETWORK_LOST");
        VpnConnectionAdapter.Map(new Ikev2Client.Connection.VpnConnectionException("could not set up the tunnel interface", null,
            new Ikev2Client.Platform.VpnPlatformException("EPERM"))).Category.Should().Be(VpnErrorCategory.Internal);
    }
}
