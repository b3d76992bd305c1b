package io.tandem.control.health;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Test servers on loopback addresses, all served by one selector thread: each listener closes accepted connections
 * at once, answers one HTTP request with fixed bytes, or holds them silently. Only 127.0.0.0/8 is used.
 */
final class LoopbackServers implements AutoCloseable
{
    /** What a listener does with a connection. */
    enum Mode
    {
        /** Accept and close: enough for a TCP check. */
        CLOSE,
        /** Read the request head, write the listener's reply, close. */
        REPLY,
        /** Accept and never answer: an HTTP check times out. */
        SILENT
    }

    private record Listener(ServerSocketChannel channel, Mode mode, byte[] reply)
    {
    }

    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Map<String, Listener> listeners = new ConcurrentHashMap<>();
    private final List<SocketChannel> held = new ArrayList<>();
    private final AtomicLong accepted = new AtomicLong();
    private final ConcurrentLinkedQueue<String> requests = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<String> peers = new ConcurrentLinkedQueue<>();
    private volatile boolean running = true;

    LoopbackServers()
    {
        try
        {
            selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        thread = new Thread(this::run, "loopback-servers");
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Listens on {@code ip:port}.
     *
     * @param port 0 for any free port.
     * @return the port bound.
     */
    int listen(final String ip, final int port, final Mode mode, final String reply) throws IOException
    {
        final ServerSocketChannel channel = ServerSocketChannel.open();
        channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        channel.bind(new InetSocketAddress(ip, port), 1024);
        channel.configureBlocking(false);
        final int bound = ((InetSocketAddress)channel.getLocalAddress()).getPort();
        final Listener listener = new Listener(channel, mode,
            null == reply ? null : reply.getBytes(StandardCharsets.US_ASCII));
        listeners.put(ip + ":" + bound, listener);
        runOnThread(() -> register(channel, SelectionKey.OP_ACCEPT, listener));
        return bound;
    }

    /** Stops listening on {@code ip:port}: connections are then refused. */
    void stop(final String ip, final int port) throws IOException
    {
        final Listener listener = listeners.remove(ip + ":" + port);
        if (null != listener)
        {
            listener.channel().close();
            selector.wakeup();
        }
    }

    long accepted()
    {
        return accepted.get();
    }

    /** @return the source addresses of the first 10 000 connections accepted, oldest first. */
    List<String> peers()
    {
        return List.copyOf(peers);
    }

    /** @return the request heads read so far, oldest first. */
    List<String> requests()
    {
        return List.copyOf(requests);
    }

    private void runOnThread(final Runnable task)
    {
        tasks.add(task);
        selector.wakeup();
    }

    private void register(final java.nio.channels.SelectableChannel channel, final int ops, final Object attachment)
    {
        try
        {
            channel.register(selector, ops, attachment);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    private static final class Exchange
    {
        final Listener listener;
        final ByteBuffer in = ByteBuffer.allocate(4096);

        Exchange(final Listener listener)
        {
            this.listener = listener;
        }
    }

    private void run()
    {
        while (running)
        {
            try
            {
                Runnable task;
                while (null != (task = tasks.poll()))
                {
                    task.run();
                }
                selector.select();
                final Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                while (keys.hasNext())
                {
                    final SelectionKey key = keys.next();
                    keys.remove();
                    if (!key.isValid())
                    {
                        continue;
                    }
                    if (key.isAcceptable())
                    {
                        accept(key);
                    }
                    else if (key.isReadable())
                    {
                        read(key);
                    }
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                if (running)
                {
                    ex.printStackTrace();
                }
            }
        }
    }

    private void accept(final SelectionKey key) throws IOException
    {
        final Listener listener = (Listener)key.attachment();
        SocketChannel client;
        while (null != (client = listener.channel().accept()))
        {
            accepted.incrementAndGet();
            if (peers.size() < 10_000)
            {
                peers.add(((InetSocketAddress)client.getRemoteAddress()).getAddress().getHostAddress());
            }
            switch (listener.mode())
            {
                case CLOSE -> client.close();
                case SILENT -> held.add(client);
                case REPLY ->
                {
                    client.configureBlocking(false);
                    client.register(selector, SelectionKey.OP_READ, new Exchange(listener));
                }
            }
        }
    }

    private void read(final SelectionKey key) throws IOException
    {
        final Exchange exchange = (Exchange)key.attachment();
        final SocketChannel client = (SocketChannel)key.channel();
        final int n;
        try
        {
            n = client.read(exchange.in);
        }
        catch (final IOException ex)
        {
            client.close();
            return;
        }
        final String head = new String(exchange.in.array(), 0, exchange.in.position(), StandardCharsets.US_ASCII);
        if (head.contains("\r\n\r\n"))
        {
            requests.add(head);
            client.write(ByteBuffer.wrap(exchange.listener.reply()));
            client.close();
        }
        else if (n < 0 || !exchange.in.hasRemaining())
        {
            client.close();
        }
    }

    @Override
    public void close() throws IOException
    {
        running = false;
        selector.wakeup();
        try
        {
            thread.join(5_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        for (final Listener listener : listeners.values())
        {
            listener.channel().close();
        }
        for (final SocketChannel channel : held)
        {
            channel.close();
        }
        selector.close();
    }
}
