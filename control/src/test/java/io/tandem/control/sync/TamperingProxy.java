package io.tandem.control.sync;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static io.tandem.control.sync.SyncFrameDescriptor.HEADER_LENGTH;
import static io.tandem.control.sync.SyncFrameDescriptor.LENGTH_OFFSET;

/**
 * A man in the middle on loopback: the connecting node reaches the proxy at {@code listenAddress:listenPort}, and the
 * proxy connects from {@code fromAddress} (the connecting node's own address, so the listener accepts it) to the
 * listening node. The connector-to-acceptor direction is cut into frames by their length field and each frame passes
 * through a {@link Hook} that may change, replace or repeat it; the other direction is copied as it is.
 */
final class TamperingProxy implements AutoCloseable
{
    /** Decides what the proxy forwards in place of one frame from the connecting node. */
    interface Hook
    {
        /**
         * @param connection the proxied connection's number, from 0.
         * @param frame      the frame's bytes as the connector sent them.
         * @return the frames to forward instead, in order (the frame itself to pass it unchanged).
         */
        List<byte[]> onFrame(int connection, byte[] frame);
    }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final InetAddress fromAddress;
    private final Hook hook;
    private final Thread acceptor;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> pumps = new CopyOnWriteArrayList<>();
    private volatile boolean running = true;
    private volatile int connections;

    TamperingProxy(
        final String listenAddress,
        final int listenPort,
        final String fromAddress,
        final String targetAddress,
        final int targetPort,
        final Hook hook) throws IOException
    {
        server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(listenAddress), listenPort));
        target = new InetSocketAddress(InetAddress.getByName(targetAddress), targetPort);
        this.fromAddress = InetAddress.getByName(fromAddress);
        this.hook = hook;
        acceptor = new Thread(this::accept, "tamper-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** @return connections proxied so far. */
    int connections()
    {
        return connections;
    }

    /** Resets every proxied connection; the proxy goes on accepting new ones. */
    void cutAll()
    {
        for (final Socket socket : sockets)
        {
            closeQuietly(socket);
        }
    }

    private void accept()
    {
        while (running)
        {
            try
            {
                final Socket client = server.accept();
                final Socket upstream = new Socket();
                sockets.add(client);
                sockets.add(upstream);
                try
                {
                    upstream.bind(new InetSocketAddress(fromAddress, 0));
                    upstream.connect(target, 2_000);
                }
                catch (final IOException ex)
                {
                    closeQuietly(client);
                    closeQuietly(upstream);
                    continue;
                }
                final int index = connections++;
                start("tamper-up-" + index, () -> pumpFrames(index, client, upstream));
                start("tamper-down-" + index, () -> pumpBytes(upstream, client));
            }
            catch (final IOException ex)
            {
                return;
            }
        }
    }

    private void start(final String name, final Runnable task)
    {
        final Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        pumps.add(thread);
        thread.start();
    }

    private void pumpFrames(final int index, final Socket from, final Socket to)
    {
        try
        {
            final DataInputStream in = new DataInputStream(from.getInputStream());
            final OutputStream out = to.getOutputStream();
            while (running)
            {
                final byte[] header = new byte[HEADER_LENGTH];
                in.readFully(header);
                final int length = ByteBuffer.wrap(header).getInt(LENGTH_OFFSET);
                if (length < HEADER_LENGTH || length > 64 * 1024 * 1024)
                {
                    break;
                }
                final byte[] frame = Arrays.copyOf(header, length);
                in.readFully(frame, HEADER_LENGTH, length - HEADER_LENGTH);
                for (final byte[] forward : hook.onFrame(index, frame))
                {
                    out.write(forward);
                }
            }
        }
        catch (final IOException ex)
        {
            // EOFException or a reset: the connection is over
        }
        finally
        {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void pumpBytes(final Socket from, final Socket to)
    {
        final byte[] buffer = new byte[64 * 1024];
        try
        {
            final InputStream in = from.getInputStream();
            final OutputStream out = to.getOutputStream();
            while (true)
            {
                final int read = in.read(buffer);
                if (read < 0)
                {
                    throw new EOFException();
                }
                out.write(buffer, 0, read);
            }
        }
        catch (final IOException ex)
        {
            // the connection is over
        }
        finally
        {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(final AutoCloseable closeable)
    {
        try
        {
            closeable.close();
        }
        catch (final Exception ignore)
        {
            // closing what is already closed
        }
    }

    @Override
    public void close()
    {
        running = false;
        closeQuietly(server);
        cutAll();
        try
        {
            acceptor.join(5_000);
            for (final Thread pump : new ArrayList<>(pumps))
            {
                pump.join(5_000);
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }
}
