package io.tandem.control.sync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.fail;

/** Addresses, keys, a recording handler and waiting helpers for the sync channel's tests; loopback only. */
final class SyncFixtures
{
    /** The node with the lower address: it connects. */
    static final String LOW = "127.0.0.1";
    /** The node with the higher address: it listens. */
    static final String HIGH = "127.0.0.2";
    /** A third loopback address that is neither node. */
    static final String STRANGER = "127.0.0.3";
    static final byte[] KEY = bytes("tandem-sync-test-key-0123456789ab");
    static final byte[] OTHER_KEY = bytes("tandem-sync-test-key-not-the-one");

    private SyncFixtures()
    {
    }

    static byte[] bytes(final String text)
    {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** @return a TCP port that was free on {@link #HIGH} a moment ago. */
    static int freePort()
    {
        try (ServerSocket socket = new ServerSocket())
        {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(HIGH), 0));
            return socket.getLocalPort();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @return settings for a test channel: short timers so that failures show within a second or two; errors of the
     * channel thread go to {@code errors}.
     */
    static SyncChannel.Context context(
        final String local,
        final String peer,
        final int port,
        final byte[] key,
        final SyncHandler handler,
        final List<Throwable> errors)
    {
        return new SyncChannel.Context()
            .localAddress(local)
            .peerAddress(peer)
            .port(port)
            .key(key)
            .nodeName("node-" + local)
            .heartbeatIntervalMs(50)
            .deadAfterMs(1_000)
            .handshakeTimeoutMs(1_000)
            .reconnectInitialBackoffMs(20)
            .reconnectMaxBackoffMs(200)
            .handler(handler)
            .errorHandler(errors::add)
            .threadName("tandem-sync-" + local);
    }

    static String sha256(final ByteBuffer buffer)
    {
        try
        {
            final MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(buffer.duplicate());
            return HexFormat.of().formatHex(digest.digest());
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException(ex);
        }
    }

    static void await(final String what, final long timeoutMs, final BooleanSupplier condition)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("not within " + timeoutMs + " ms: " + what);
            }
            Thread.sleep(5);
        }
    }

    /** A message as the handler saw it: its type, a copy of its payload, and the session it arrived in. */
    record Message(int type, byte[] payload, int session)
    {
        String text()
        {
            return new String(payload, StandardCharsets.UTF_8);
        }
    }

    /** A session event with the monotonic time it arrived. */
    record Event(boolean up, String text, long atNs)
    {
    }

    /** Records every callback; can run an action on session up and hold the channel thread in onMessage. */
    static final class Recorder implements SyncHandler
    {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final List<Message> messages = new CopyOnWriteArrayList<>();
        final List<String> violations = new CopyOnWriteArrayList<>();
        volatile Consumer<String> onUp = name -> { };
        volatile CountDownLatch holdInOnMessage;
        volatile Thread callbackThread;
        private volatile boolean sessionUp;
        private volatile int sessions;

        @Override
        public void onSessionUp(final String peerName)
        {
            checkThread();
            if (sessionUp)
            {
                violations.add("onSessionUp twice without onSessionDown");
            }
            sessionUp = true;
            sessions++;
            events.add(new Event(true, peerName, System.nanoTime()));
            onUp.accept(peerName);
        }

        @Override
        public void onMessage(final int type, final ByteBuffer payload)
        {
            checkThread();
            if (!sessionUp)
            {
                violations.add("onMessage outside a session");
            }
            if (!payload.isReadOnly() || 0 != payload.position())
            {
                violations.add("payload must be read-only from position 0");
            }
            final byte[] copy = new byte[payload.remaining()];
            payload.get(copy);
            messages.add(new Message(type, copy, sessions));
            final CountDownLatch hold = holdInOnMessage;
            if (null != hold)
            {
                try
                {
                    hold.await(30, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                }
            }
        }

        @Override
        public void onSessionDown(final String reason)
        {
            checkThread();
            if (!sessionUp)
            {
                violations.add("onSessionDown without onSessionUp: " + reason);
            }
            sessionUp = false;
            events.add(new Event(false, reason, System.nanoTime()));
        }

        private void checkThread()
        {
            final Thread current = Thread.currentThread();
            if (null == callbackThread)
            {
                callbackThread = current;
            }
            else if (callbackThread != current && !current.getName().equals(callbackThread.getName()))
            {
                violations.add("callback on " + current.getName() + ", earlier on " + callbackThread.getName());
            }
        }

        long ups()
        {
            return events.stream().filter(Event::up).count();
        }

        long downs()
        {
            return events.stream().filter(e -> !e.up()).count();
        }

        List<String> downReasons()
        {
            final List<String> reasons = new ArrayList<>();
            for (final Event event : events)
            {
                if (!event.up())
                {
                    reasons.add(event.text());
                }
            }
            return reasons;
        }

        List<String> texts()
        {
            final List<String> texts = new ArrayList<>();
            for (final Message message : messages)
            {
                texts.add(message.text());
            }
            return texts;
        }

        void awaitUps(final long count, final long timeoutMs) throws InterruptedException
        {
            await(count + " sessions up; events " + events, timeoutMs, () -> ups() >= count);
        }

        void awaitDowns(final long count, final long timeoutMs) throws InterruptedException
        {
            await(count + " sessions down; events " + events, timeoutMs, () -> downs() >= count);
        }
    }
}
