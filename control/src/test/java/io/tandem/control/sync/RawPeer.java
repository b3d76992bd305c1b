package io.tandem.control.sync;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;

import static io.tandem.control.sync.SyncFrameDescriptor.HEADER_LENGTH;
import static io.tandem.control.sync.SyncFrameDescriptor.LENGTH_OFFSET;

/**
 * A hand-driven peer on a blocking socket that speaks the channel's protocol through the same codec: it connects from
 * a chosen loopback address, completes the handshake as the connector and then does only what the test says, such
 * as staying silent. Proves that the protocol is what {@link Handshake} and {@link SyncFrameDescriptor} describe.
 */
final class RawPeer implements AutoCloseable
{
    /** A frame as read: its type and payload. */
    record Frame(int type, byte[] payload)
    {
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final FrameEncoder encoder = new FrameEncoder();
    private final FrameDecoder decoder = new FrameDecoder();
    private final byte[] rootKey;
    private final byte[] name;

    /**
     * Connects from {@code localAddress} to the channel listening at {@code remoteAddress:port}.
     *
     * @param key the shared key, or null.
     */
    RawPeer(final String localAddress, final String remoteAddress, final int port, final byte[] key, final String name)
        throws IOException
    {
        socket = new Socket();
        socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
        socket.connect(new InetSocketAddress(InetAddress.getByName(remoteAddress), port), 2_000);
        socket.setSoTimeout(5_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
        rootKey = Handshake.rootKey(key);
        this.name = name.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Connects as the constructor does, retrying while nobody listens yet (a channel binds its listener on its own
     * thread, just after its constructor returns), for up to 2 s.
     */
    static RawPeer connect(
        final String localAddress, final String remoteAddress, final int port, final byte[] key, final String name)
        throws IOException, InterruptedException
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return new RawPeer(localAddress, remoteAddress, port, key, name);
            }
            catch (final java.net.ConnectException ex)
            {
                if (attempt >= 100)
                {
                    throw ex;
                }
                Thread.sleep(20);
            }
        }
    }

    /**
     * Runs the connector's half of the handshake.
     *
     * @return the acceptor's name from its HELLO.
     */
    String handshake() throws IOException
    {
        final byte[] helloKey = Handshake.helloKey(rootKey);
        encoder.reset(helloKey, 0);
        decoder.reset(helloKey, 0, SyncFrameDescriptor.HANDSHAKE_MAX_FRAME_LENGTH);
        final byte[] nonce = new byte[Handshake.NONCE_LENGTH];
        new SecureRandom().nextBytes(nonce);
        out.write(encoder.encodeFrame(SyncFrameDescriptor.TYPE_HELLO,
            Handshake.encodeHello(Handshake.ROLE_CONNECTOR, nonce, name)));

        final Frame helloFrame = read();
        if (SyncFrameDescriptor.TYPE_HELLO != helloFrame.type())
        {
            throw new IOException("expected HELLO, got " + helloFrame.type());
        }
        final Handshake.Hello hello = Handshake.parseHello(ByteBuffer.wrap(helloFrame.payload()));
        if (null == hello || Handshake.ROLE_ACCEPTOR != hello.role())
        {
            throw new IOException("bad HELLO");
        }
        encoder.reset(Handshake.directionKey(rootKey, Handshake.ROLE_CONNECTOR, nonce, hello.nonce()), 1);
        decoder.reset(Handshake.directionKey(rootKey, Handshake.ROLE_ACCEPTOR, nonce, hello.nonce()), 1,
            8 * 1024 * 1024);
        out.write(encoder.encodeFrame(SyncFrameDescriptor.TYPE_AUTH,
            Handshake.proof(rootKey, Handshake.ROLE_CONNECTOR, nonce, hello.nonce(), name, hello.name())));

        final Frame auth = read();
        final byte[] expected =
            Handshake.proof(rootKey, Handshake.ROLE_ACCEPTOR, nonce, hello.nonce(), name, hello.name());
        if (SyncFrameDescriptor.TYPE_AUTH != auth.type() || !Arrays.equals(expected, auth.payload()))
        {
            throw new IOException("bad AUTH");
        }
        return hello.nameText();
    }

    /** Sends one frame, numbered and MACed as the channel would. */
    void send(final int type, final byte[] payload) throws IOException
    {
        out.write(encoder.encodeFrame(type, payload));
    }

    /**
     * Reads and verifies one frame.
     *
     * @return the frame.
     * @throws IOException on a bad frame, end of stream, reset or a 5 s silence.
     */
    Frame read() throws IOException
    {
        final byte[] header = new byte[HEADER_LENGTH];
        in.readFully(header);
        final int length = ByteBuffer.wrap(header).getInt(LENGTH_OFFSET);
        if (length < HEADER_LENGTH || length > 16 * 1024 * 1024)
        {
            throw new IOException("bad length " + length);
        }
        final byte[] frame = Arrays.copyOf(header, length);
        in.readFully(frame, HEADER_LENGTH, length - HEADER_LENGTH);
        final ByteBuffer buffer = ByteBuffer.wrap(frame);
        if (FrameDecoder.FRAME_OK != decoder.decode(buffer))
        {
            throw new IOException("bad frame: " + decoder.error() + ", " + decoder.errorDetail());
        }
        return new Frame(decoder.type(), Arrays.copyOfRange(frame, decoder.payloadOffset(),
            decoder.payloadOffset() + decoder.payloadLength()));
    }

    /** @return -1 when the stream ended, 0 when it was reset, 1 when a byte arrived; waits up to 5 s. */
    int readEnd() throws IOException
    {
        try
        {
            return in.read() < 0 ? -1 : 1;
        }
        catch (final java.net.SocketException ex)
        {
            return 0;
        }
    }

    @Override
    public void close() throws IOException
    {
        socket.close();
    }
}
