package io.tandem.dataplane.worker;

import io.tandem.dataplane.flow.FlowRecord;
import io.tandem.dataplane.flow.FlowTable;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.packet.TcpFrameBuilder;
import io.tandem.dataplane.port.PacketPort;
import io.tandem.dataplane.snapshot.ForwardingSnapshot;
import io.tandem.dataplane.status.TrafficCounters;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.tcp.TcpState;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tandem.dataplane.packet.TcpFlyweight.ACK;
import static io.tandem.dataplane.packet.TcpFlyweight.FIN;
import static io.tandem.dataplane.packet.TcpFlyweight.PSH;
import static io.tandem.dataplane.packet.TcpFlyweight.RST;
import static io.tandem.dataplane.packet.TcpFlyweight.SYN;
import static io.tandem.dataplane.worker.WorkerHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Golden-packet tests: a frame in, the exact frames out, through a real worker on an in-memory port. Expected frames
 * are built field by field with full checksums, independently of the worker's incremental updates.
 */
class ForwardingAgentGoldenTest
{
    private static final String CLIENT = "198.19.7.10";
    private static final int CLIENT_PORT = 40_000;
    private static final int CLIENT_ISN = 1_000;
    private static final int TARGET_ISN = 0x7000_0000;
    private static final int FIRST_SNAT_PORT = 1024;

    private WorkerHarness h = new WorkerHarness();

    @AfterEach
    void noWorkerErrors()
    {
        assertEquals(List.of(), h.errors, "exceptions on the worker");
        assertEquals(0, h.count(WorkerCounter.WORKER_ERRORS));
    }

    static void assertFrame(final byte[] expected, final byte[] actual)
    {
        assertEquals(HexFormat.of().formatHex(expected), HexFormat.of().formatHex(actual));
    }

    /** Runs the three-way handshake of one connection to target 0 and returns the SNAT port. */
    private int handshake(final String client, final int clientPort)
    {
        h.send(fromClient(client, clientPort).seq(CLIENT_ISN).flags(SYN).mss(1460).build());
        final byte[] syn = h.onlyTransmitted();
        final int snatPort = Bytes.u16(new UnsafeBuffer(syn), 34);
        final int target = targetOf(syn);
        h.send(fromTarget(target, snatPort).seq(TARGET_ISN).ack(CLIENT_ISN + 1).flags(SYN | ACK).mss(1460).build());
        h.onlyTransmitted();
        h.send(fromClient(client, clientPort).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(ACK).build());
        h.onlyTransmitted();
        return snatPort;
    }

    private static int targetOf(final byte[] frame)
    {
        final int dst = new UnsafeBuffer(frame).getInt(30, java.nio.ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < TARGETS.length; i++)
        {
            if (ip(TARGETS[i]) == dst)
            {
                return i;
            }
        }
        throw new AssertionError("not sent to a target: " + Bytes.ipv4ToString(dst));
    }

    private int onlyRecordState()
    {
        final FlowTable table = h.agent.flowTable();
        assertEquals(1, table.size());
        for (int i = 0; i < table.capacity(); i++)
        {
            if (table.isInUse(i))
            {
                return new FlowRecord().wrap(table, i).state();
            }
        }
        throw new AssertionError("no record in use");
    }

    @Test
    void shouldRewriteSynToFirstTargetWithFullNat()
    {
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN).flags(SYN).window(64240).ipId(0x1234).mss(1460)
            .build());

        assertFrame(toTarget(0, FIRST_SNAT_PORT).seq(CLIENT_ISN).flags(SYN).window(64240).ipId(0x1234).mss(1460)
            .build(), h.onlyTransmitted());
        assertEquals(1, h.count(WorkerCounter.CONNECTIONS_OPENED));
        assertEquals(1, h.count(WorkerCounter.FORWARDED_TO_TARGET));
        assertEquals(TcpState.SYN_SENT, onlyRecordState());
    }

    @Test
    void shouldCarryAConnectionThroughHandshakeDataAndCloseExactly()
    {
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN).flags(SYN).build());
        h.onlyTransmitted();

        h.send(fromTarget(0, FIRST_SNAT_PORT).seq(TARGET_ISN).ack(CLIENT_ISN + 1).flags(SYN | ACK).mss(1400)
            .window(65160).build());
        assertFrame(toClient(CLIENT, CLIENT_PORT).seq(TARGET_ISN).ack(CLIENT_ISN + 1).flags(SYN | ACK).mss(1400)
            .window(65160).build(), h.onlyTransmitted());
        assertEquals(TcpState.SYN_RECEIVED, onlyRecordState());

        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(ACK).build());
        assertFrame(toTarget(0, FIRST_SNAT_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(ACK).build(),
            h.onlyTransmitted());
        assertEquals(TcpState.ESTABLISHED, onlyRecordState());

        final byte[] request = "GET / HTTP/1.1\r\nHost: tandem\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(PSH | ACK)
            .payload(request).build());
        assertFrame(toTarget(0, FIRST_SNAT_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(PSH | ACK)
            .payload(request).build(), h.onlyTransmitted());

        final byte[] response = new byte[1000];
        java.util.Arrays.fill(response, (byte)'x');
        final int clientNext = CLIENT_ISN + 1 + request.length;
        h.send(fromTarget(0, FIRST_SNAT_PORT).seq(TARGET_ISN + 1).ack(clientNext).flags(PSH | ACK)
            .payload(response).build());
        assertFrame(toClient(CLIENT, CLIENT_PORT).seq(TARGET_ISN + 1).ack(clientNext).flags(PSH | ACK)
            .payload(response).build(), h.onlyTransmitted());

        final int targetNext = TARGET_ISN + 1 + response.length;
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(clientNext).ack(targetNext).flags(FIN | ACK).build());
        assertFrame(toTarget(0, FIRST_SNAT_PORT).seq(clientNext).ack(targetNext).flags(FIN | ACK).build(),
            h.onlyTransmitted());
        assertEquals(TcpState.FIN_WAIT, onlyRecordState());

        h.send(fromTarget(0, FIRST_SNAT_PORT).seq(targetNext).ack(clientNext + 1).flags(FIN | ACK).build());
        h.onlyTransmitted();
        assertEquals(TcpState.CLOSING, onlyRecordState());

        h.send(fromClient(CLIENT, CLIENT_PORT).seq(clientNext + 1).ack(targetNext + 1).flags(ACK).build());
        h.onlyTransmitted();
        assertEquals(TcpState.TIME_WAIT, onlyRecordState());
        assertEquals(1, h.count(WorkerCounter.CONNECTIONS_CLOSED_FIN));

        assertEquals(1, h.agent.activeConnections(VIP_PORT));
        h.advance(timeouts().timeWaitNs() + TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.NANOSECONDS);
        assertEquals(0, h.agent.flowTable().size());
        assertEquals(0, h.context.budget().active());
        assertEquals(0, h.agent.activeConnections(VIP_PORT));
        assertEquals(3, h.count(WorkerCounter.FORWARDED_TO_CLIENT));
        assertEquals(5, h.count(WorkerCounter.FORWARDED_TO_TARGET));

        // IPv4 bytes: 40 per bare segment, 44 for the SYN+ACK with its MSS option
        final TrafficCounters traffic = h.agent.traffic();
        final int slot = WorkerHarness.FIRST_TARGET_SLOT;
        assertEquals(5, traffic.listenerPackets(VIP_PORT, TrafficCounters.TO_TARGET));
        assertEquals(5 * 40 + request.length, traffic.listenerBytes(VIP_PORT, TrafficCounters.TO_TARGET));
        assertEquals(3, traffic.listenerPackets(VIP_PORT, TrafficCounters.TO_CLIENT));
        assertEquals(44 + 40 + response.length + 40, traffic.listenerBytes(VIP_PORT, TrafficCounters.TO_CLIENT));
        assertEquals(5, traffic.targetPackets(slot, TrafficCounters.TO_TARGET));
        assertEquals(5 * 40 + request.length, traffic.targetBytes(slot, TrafficCounters.TO_TARGET));
        assertEquals(3, traffic.targetPackets(slot, TrafficCounters.TO_CLIENT));
        assertEquals(0, traffic.targetPackets(slot + 1, TrafficCounters.TO_TARGET));
        assertEquals(0, traffic.targetPackets(TrafficCounters.OTHER_TARGET_SLOT, TrafficCounters.TO_TARGET));
    }

    @Test
    void shouldCloseBothEndsWithFinAckPairOnIdleTimeout()
    {
        final int snatPort = handshake(CLIENT, CLIENT_PORT);

        h.advance(IDLE_TIMEOUT_NS + TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.NANOSECONDS);

        final List<byte[]> fins = h.transmitted();
        assertEquals(2, fins.size());
        // to the target as if from the client: the target expects seq CLIENT_ISN + 1 and has sent up to TARGET_ISN+1
        assertFrame(new TcpFrameBuilder().srcMac(NODE_MAC).dstMac(TARGET_MACS[0]).src(SNAT, snatPort)
            .dst(TARGETS[0], TARGET_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(FIN | ACK).window(65535)
            .build(), fins.get(0));
        // to the client as if from the target
        assertFrame(new TcpFrameBuilder().srcMac(NODE_MAC).dstMac(GATEWAY_MAC).src(VIP, VIP_PORT)
            .dst(CLIENT, CLIENT_PORT).seq(TARGET_ISN + 1).ack(CLIENT_ISN + 1).flags(FIN | ACK).window(65535)
            .build(), fins.get(1));
        assertEquals(2, h.count(WorkerCounter.TX_FIN_IDLE_TIMEOUT));
        assertEquals(1, h.count(WorkerCounter.CONNECTIONS_IDLE_TIMEOUT));
        assertEquals(TcpState.IDLE_CLOSED, onlyRecordState());

        // the target acknowledges our FIN: absorbed
        h.send(fromTarget(0, snatPort).seq(TARGET_ISN + 1).ack(CLIENT_ISN + 2).flags(ACK).build());
        assertEquals(0, h.transmitted().size());
        // the client closes its side: the balancer acknowledges its FIN as the target would
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 2).flags(FIN | ACK).build());
        assertFrame(new TcpFrameBuilder().srcMac(NODE_MAC).dstMac(GATEWAY_MAC).src(VIP, VIP_PORT)
            .dst(CLIENT, CLIENT_PORT).seq(TARGET_ISN + 2).ack(CLIENT_ISN + 2).flags(ACK).window(65535).build(),
            h.onlyTransmitted());
        assertEquals(1, h.count(WorkerCounter.TX_ACK_AFTER_IDLE_CLOSE));

        h.advance(h.context.timeouts().idleClosedNs() + TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.NANOSECONDS);
        assertEquals(0, h.agent.flowTable().size());
    }

    @Test
    void shouldExpireAnIdleTimeoutShorterThanTheHandshakeTimeoutOnTime()
    {
        h = new WorkerHarness(ForwardingSnapshot.builder().version(1).nodeMac(NODE_MAC).snatIp(ip(SNAT))
            .nextHops(nextHops(1, TARGET_MACS))
            .pool("web", TARGET_PORT, new int[]{ip(TARGETS[0]), ip(TARGETS[1]), ip(TARGETS[2])},
                new boolean[]{true, true, true}, false)
            .listener("http", ip(VIP), VIP_PORT, "web", TimeUnit.SECONDS.toNanos(3))
            .build());
        handshake(CLIENT, CLIENT_PORT);

        h.advance(2900, TimeUnit.MILLISECONDS);
        assertEquals(0, h.count(WorkerCounter.CONNECTIONS_IDLE_TIMEOUT));
        h.advance(200, TimeUnit.MILLISECONDS);
        assertEquals(1, h.count(WorkerCounter.CONNECTIONS_IDLE_TIMEOUT), "3 s, not the 10 s of the SYN timeout");
        assertEquals(2, h.transmitted().size());
    }

    @Test
    void shouldRestartIdleTimerOnlyForNewPayload()
    {
        final int snatPort = handshake(CLIENT, CLIENT_PORT);
        final long half = IDLE_TIMEOUT_NS / 2;

        // a keepalive probe (seq one below the next, no data) and its ACK do not count
        h.advance(half, TimeUnit.NANOSECONDS);
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN).ack(TARGET_ISN + 1).flags(ACK).build());
        h.send(fromTarget(0, snatPort).seq(TARGET_ISN + 1).ack(CLIENT_ISN + 1).flags(ACK).build());
        assertEquals(2, h.transmitted().size());
        h.advance(half + TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.NANOSECONDS);
        assertEquals(1, h.count(WorkerCounter.CONNECTIONS_IDLE_TIMEOUT), "keepalives kept the connection");

        h = new WorkerHarness();
        final int port2 = handshake(CLIENT, CLIENT_PORT);
        h.advance(half, TimeUnit.NANOSECONDS);
        h.send(fromTarget(0, port2).seq(TARGET_ISN + 1).ack(CLIENT_ISN + 1).flags(PSH | ACK)
            .payload(new byte[]{1, 2, 3}).build());
        h.transmitted();
        h.advance(half + TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.NANOSECONDS);
        assertEquals(0, h.count(WorkerCounter.CONNECTIONS_IDLE_TIMEOUT), "new payload restarts the timer");
        assertEquals(0, h.transmitted().size());
        // retransmitting the same bytes later is not new payload
        h.send(fromTarget(0, port2).seq(TARGET_ISN + 1).ack(CLIENT_ISN + 1).flags(PSH | ACK)
            .payload(new byte[]{1, 2, 3}).build());
        h.transmitted();
        h.advance(half, TimeUnit.NANOSECONDS);
        assertEquals(1, h.count(WorkerCounter.CONNECTIONS_IDLE_TIMEOUT));
    }

    @Test
    void shouldAnswerUntrackedAckSegmentWithResetFromItsAck()
    {
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(5_000).ack(77_777).flags(PSH | ACK).payload(new byte[10]).build());

        assertFrame(new TcpFrameBuilder().srcMac(NODE_MAC).dstMac(GATEWAY_MAC).src(VIP, VIP_PORT)
            .dst(CLIENT, CLIENT_PORT).seq(77_777).ack(0).flags(RST).window(0).build(), h.onlyTransmitted());
        assertEquals(1, h.count(WorkerCounter.TX_RST_UNTRACKED));
    }

    @Test
    void shouldAnswerUntrackedSegmentWithoutAckWithResetAcknowledgingIt()
    {
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(5_000).flags(FIN).payload(new byte[10]).build());

        assertFrame(new TcpFrameBuilder().srcMac(NODE_MAC).dstMac(GATEWAY_MAC).src(VIP, VIP_PORT)
            .dst(CLIENT, CLIENT_PORT).seq(0).ack(5_000 + 10 + 1).flags(RST | ACK).window(0).build(),
            h.onlyTransmitted());
    }

    @Test
    void shouldAnswerUntrackedSegmentFromTargetWithReset()
    {
        h.send(fromTarget(1, 5_555).seq(9).ack(10).flags(ACK).build());

        assertFrame(new TcpFrameBuilder().srcMac(NODE_MAC).dstMac(TARGET_MACS[1]).src(SNAT, 5_555)
            .dst(TARGETS[1], TARGET_PORT).seq(10).ack(0).flags(RST).window(0).build(), h.onlyTransmitted());
    }

    @Test
    void shouldNeverAnswerAnUntrackedReset()
    {
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(5_000).flags(RST).build());
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(5_000).ack(1).flags(RST | ACK).build());

        assertEquals(0, h.transmitted().size());
        assertEquals(2, h.count(WorkerCounter.DROP_UNTRACKED_RST));
    }

    @Test
    void shouldRateLimitResets()
    {
        h = new WorkerHarness(snapshot(1, new boolean[]{true, true, true}, false, 10_000),
            new WorkerContext().resetRateLimit(10, 5));
        for (int i = 0; i < 20; i++)
        {
            h.send(fromClient(CLIENT, 30_000 + i).seq(1).ack(2).flags(ACK).build());
        }
        assertEquals(5, h.transmitted().size(), "the burst");
        assertEquals(15, h.count(WorkerCounter.RST_RATE_LIMITED));

        h.advance(1, TimeUnit.SECONDS);
        for (int i = 0; i < 20; i++)
        {
            h.send(fromClient(CLIENT, 31_000 + i).seq(1).ack(2).flags(ACK).build());
        }
        assertEquals(5, h.transmitted().size(), "a second refills at most the burst");
        assertEquals(10, h.count(WorkerCounter.TX_RST_UNTRACKED));
    }

    @Test
    void shouldRefuseSynBeyondPlanCapWithResetAndKeepAdmittedConnections()
    {
        h = new WorkerHarness(snapshot(1, new boolean[]{true, true, true}, false, 2));
        final int port1 = handshake("198.19.0.1", 1111);
        handshake("198.19.0.2", 2222);

        h.send(fromClient("198.19.0.3", 3333).seq(CLIENT_ISN).flags(SYN).build());
        assertFrame(new TcpFrameBuilder().srcMac(NODE_MAC).dstMac(GATEWAY_MAC).src(VIP, VIP_PORT)
            .dst("198.19.0.3", 3333).seq(0).ack(CLIENT_ISN + 1).flags(RST | ACK).window(0).build(),
            h.onlyTransmitted());
        assertEquals(1, h.count(WorkerCounter.REFUSED_PLAN_CAP));
        assertEquals(1, h.count(WorkerCounter.TX_RST_REFUSED));

        h.send(fromClient("198.19.0.1", 1111).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(PSH | ACK)
            .payload(new byte[]{42}).build());
        assertFrame(toTarget(0, port1).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(PSH | ACK)
            .payload(new byte[]{42}).build(), h.onlyTransmitted());
    }

    @Test
    void shouldRefuseSynWhenNoTargetIsHealthy()
    {
        h = new WorkerHarness(snapshot(1, new boolean[]{false, false, false}, false, 10_000));
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN).flags(SYN).build());

        assertEquals(RST | ACK, new UnsafeBuffer(h.onlyTransmitted()).getByte(47) & 0xFF);
        assertEquals(1, h.count(WorkerCounter.REFUSED_NO_HEALTHY_TARGET));
        assertEquals(0, h.agent.flowTable().size());
    }

    @Test
    void shouldDropSynFromOutsideAllowedRangesSilently()
    {
        h = new WorkerHarness(snapshot(1, new boolean[]{true, true, true}, false, 10_000, "198.19.1.0/24"));
        h.send(fromClient("198.19.2.5", 1234).seq(CLIENT_ISN).flags(SYN).build());
        assertEquals(0, h.transmitted().size());
        assertEquals(1, h.count(WorkerCounter.DROP_ACL));

        h.send(fromClient("198.19.1.5", 1234).seq(CLIENT_ISN).flags(SYN).build());
        assertEquals(1, h.transmitted().size());
    }

    @Test
    void shouldSpreadRoundRobinOverHealthyTargetsOnly()
    {
        h = new WorkerHarness(snapshot(1, new boolean[]{true, false, true}, false, 10_000));
        final int[] perTarget = new int[3];
        for (int i = 0; i < 10; i++)
        {
            h.send(fromClient(CLIENT, 20_000 + i).seq(CLIENT_ISN).flags(SYN).build());
            perTarget[targetOf(h.onlyTransmitted())]++;
        }
        assertEquals(5, perTarget[0]);
        assertEquals(0, perTarget[1]);
        assertEquals(5, perTarget[2]);
    }

    @Test
    void shouldKeepEveryConnectionOfAClientOnOneTargetWithSourceIpPersistence()
    {
        h = new WorkerHarness(snapshot(1, new boolean[]{true, true, true}, true, 10_000));
        final int[] perTarget = new int[3];
        for (int client = 0; client < 60; client++)
        {
            int first = -1;
            for (int port = 0; port < 5; port++)
            {
                h.send(fromClient("198.19.3." + client, 10_000 + port).seq(CLIENT_ISN).flags(SYN).build());
                final int target = targetOf(h.onlyTransmitted());
                first = first < 0 ? target : first;
                assertEquals(first, target, "client " + client);
            }
            perTarget[first]++;
        }
        for (final int n : perTarget)
        {
            assertTrue(n >= 10, "every target gets a share of 60 clients: " + java.util.Arrays.toString(perTarget));
        }
    }

    @Test
    void shouldKeepEstablishedConnectionsAcrossSnapshotSwapAndHealthChange()
    {
        final int snatPort = handshake(CLIENT, CLIENT_PORT);

        // target 0 goes down and the idle timeout changes: the established connection keeps its target
        h.publish(snapshot(h.nextVersion(), new boolean[]{false, true, true}, false, 10_000));
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(PSH | ACK)
            .payload(new byte[]{7}).build());
        assertFrame(toTarget(0, snatPort).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(PSH | ACK)
            .payload(new byte[]{7}).build(), h.onlyTransmitted());
        assertEquals(1, h.count(WorkerCounter.SNAPSHOT_SWAPS));
        assertEquals(2, h.exchange.minObservedVersion());

        // new connections avoid it
        for (int i = 0; i < 4; i++)
        {
            h.send(fromClient(CLIENT, 50_000 + i).seq(CLIENT_ISN).flags(SYN).build());
            assertTrue(targetOf(h.onlyTransmitted()) != 0);
        }
    }

    @Test
    void shouldFollowNeighbourMacChangesForEstablishedConnections()
    {
        final int snatPort = handshake(CLIENT, CLIENT_PORT);
        final long newMac = 0x02_00_00_00_00_99L;
        h.publish(ForwardingSnapshot.builder().version(h.nextVersion()).nodeMac(NODE_MAC).snatIp(ip(SNAT))
            .nextHops(nextHops(2, new long[]{newMac, TARGET_MACS[1], TARGET_MACS[2]}))
            .pool("web", TARGET_PORT, new int[]{ip(TARGETS[0]), ip(TARGETS[1]), ip(TARGETS[2])},
                new boolean[]{true, true, true}, false)
            .listener("http", ip(VIP), VIP_PORT, "web", IDLE_TIMEOUT_NS)
            .build());

        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(ACK).build());
        assertFrame(toTarget(0, snatPort).dstMac(newMac).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(ACK).build(),
            h.onlyTransmitted());
    }

    @Test
    void shouldForgetSynWithoutAnswerAfterHandshakeTimeout()
    {
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN).flags(SYN).build());
        h.transmitted();
        h.advance(h.context.timeouts().synSentNs() - TimeUnit.MILLISECONDS.toNanos(50), TimeUnit.NANOSECONDS);
        assertEquals(1, h.agent.flowTable().size());
        h.advance(TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.NANOSECONDS);
        assertEquals(0, h.agent.flowTable().size());
        assertEquals(1, h.count(WorkerCounter.CONNECTIONS_HANDSHAKE_TIMEOUT));
        assertEquals(0, h.context.budget().active());
    }

    @Test
    void shouldForwardResetAndForgetConnectionAfterLinger()
    {
        final int snatPort = handshake(CLIENT, CLIENT_PORT);
        h.send(fromTarget(0, snatPort).seq(TARGET_ISN + 1).ack(CLIENT_ISN + 1).flags(RST | ACK).build());
        assertFrame(toClient(CLIENT, CLIENT_PORT).seq(TARGET_ISN + 1).ack(CLIENT_ISN + 1).flags(RST | ACK).build(),
            h.onlyTransmitted());
        assertEquals(TcpState.CLOSED, onlyRecordState());
        assertEquals(1, h.count(WorkerCounter.CONNECTIONS_CLOSED_RST));

        h.advance(h.context.timeouts().closedNs() + TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.NANOSECONDS);
        assertEquals(0, h.agent.flowTable().size());
    }

    @Test
    void shouldStartANewConnectionWhenSynReusesTheTupleOfAClosedOne()
    {
        handshake(CLIENT, CLIENT_PORT);
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(RST | ACK).build());
        h.transmitted();

        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN + 100_000).flags(SYN).build());
        final byte[] syn = h.onlyTransmitted();
        assertEquals(1, targetOf(syn), "round robin moved on to the next target");
        assertEquals(1, h.count(WorkerCounter.CONNECTIONS_REUSED));
        assertEquals(TcpState.SYN_SENT, onlyRecordState());
    }

    @Test
    void shouldGiveEachConnectionToOneTargetItsOwnSnatPortAndReuseFreedOnesLast()
    {
        h = new WorkerHarness(snapshot(1, new boolean[]{true, false, false}, false, 10_000),
            new WorkerContext().snatPortRange(2000, 2003));
        for (int i = 0; i < 4; i++)
        {
            h.send(fromClient(CLIENT, 1000 + i).seq(CLIENT_ISN).flags(SYN).build());
            assertEquals(2000 + i, Bytes.u16(new UnsafeBuffer(h.onlyTransmitted()), 34));
        }
        h.send(fromClient(CLIENT, 1004).seq(CLIENT_ISN).flags(SYN).build());
        assertEquals(1, h.count(WorkerCounter.REFUSED_NO_SNAT_PORT), "four ports towards one target are all taken");
        h.transmitted();

        h.advance(h.context.timeouts().synSentNs() + TimeUnit.MILLISECONDS.toNanos(20), TimeUnit.NANOSECONDS);
        h.send(fromClient(CLIENT, 1005).seq(CLIENT_ISN).flags(SYN).build());
        assertEquals(2000, Bytes.u16(new UnsafeBuffer(h.onlyTransmitted()), 34), "freed when forgotten");
    }

    @Test
    void shouldSkipChecksumVerificationOnlyWhenThePortVouchesForIt()
    {
        final byte[] syn = fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN).flags(SYN).build();
        syn[syn.length - 1] ^= 0x55; // corrupt the TCP checksum
        h.send(syn);
        assertEquals(1, h.count(WorkerCounter.DROP_BAD_TCP_CHECKSUM));
        assertEquals(0, h.transmitted().size());

        h.send(syn, PacketPort.FRAME_CHECKSUM_VERIFIED);
        assertEquals(1, h.transmitted().size());
    }

    @Test
    void shouldCompleteAPartialTcpChecksumWhenForwarding()
    {
        handshake(CLIENT, CLIENT_PORT);
        final int snatPort = FIRST_SNAT_PORT;
        final byte[] payload = "partial".getBytes(StandardCharsets.US_ASCII);
        final byte[] frame = fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1)
            .flags(PSH | ACK).payload(payload).build();
        // what a sender leaving the checksum to offload writes: the folded pseudo-header sum, not complemented
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        final int tcpLength = frame.length - 34;
        Bytes.u16(b, 50, io.tandem.dataplane.packet.Checksum.fold(
            io.tandem.dataplane.packet.Checksum.pseudoHeader(ip(CLIENT), ip(VIP), tcpLength)));

        h.send(frame);
        assertEquals(1, h.count(WorkerCounter.DROP_BAD_TCP_CHECKSUM), "unflagged, it is just a bad checksum");
        assertEquals(0, h.transmitted().size());

        h.send(frame, PacketPort.FRAME_CHECKSUM_PARTIAL);
        assertFrame(toTarget(0, snatPort).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(PSH | ACK).payload(payload)
            .build(), h.onlyTransmitted());
    }

    @Test
    void shouldAnswerAFlowSampleRequestInItsOwnDutyCycle() throws Exception
    {
        final int snatPort = handshake(CLIENT, CLIENT_PORT);
        h.send(fromClient("198.19.7.11", 41_000).seq(CLIENT_ISN).flags(SYN).build());
        h.transmitted();
        h.advance(5, TimeUnit.SECONDS);

        final java.util.concurrent.CompletableFuture<List<FlowSample>> sample =
            java.util.concurrent.CompletableFuture.supplyAsync(() ->
            {
                try
                {
                    return h.agent.sampleFlows(10, TimeUnit.SECONDS.toNanos(5));
                }
                catch (final InterruptedException ex)
                {
                    throw new IllegalStateException(ex);
                }
            });
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!sample.isDone() && System.nanoTime() < deadline)
        {
            h.agent.doWork();
            Thread.sleep(1);
        }
        final List<FlowSample> flows = sample.get();
        assertEquals(2, flows.size());
        final FlowSample established = flows.stream().filter(f -> f.clientPort() == CLIENT_PORT).findFirst()
            .orElseThrow();
        assertEquals(ip(CLIENT), established.clientIp());
        assertEquals(ip(TARGETS[0]), established.targetIp());
        assertEquals(snatPort, established.snatPort());
        assertEquals(TcpState.ESTABLISHED, established.state());
        assertEquals(TimeUnit.SECONDS.toNanos(5), established.ageNs());
        assertTrue(flows.stream().anyMatch(f -> f.state() == TcpState.SYN_SENT && f.clientPort() == 41_000));
    }

    @Test
    void shouldLeaveFramesThatAreNotTandemsToTheKernel()
    {
        final byte[] otherPort = fromClient(CLIENT, CLIENT_PORT).dst(VIP, 22).seq(1).flags(SYN).build();
        final byte[] otherHost = fromClient(CLIENT, CLIENT_PORT).dst("198.18.0.5", 80).seq(1).flags(SYN).build();
        final byte[] icmp = fromClient(CLIENT, CLIENT_PORT).build();
        icmp[23] = 1; // protocol ICMP
        final byte[] arp = new byte[42];
        arp[12] = 0x08;
        arp[13] = 0x06;
        final byte[] lowSnatPort = fromTarget(0, 80).seq(1).ack(1).flags(ACK).build();

        for (final byte[] frame : List.of(otherPort, otherHost, icmp, arp, lowSnatPort))
        {
            h.send(frame);
        }
        assertEquals(0, h.transmitted().size());
        assertEquals(5, h.count(WorkerCounter.PASSED_TO_KERNEL));
    }

    @Test
    void shouldCountAndDropEveryKindOfBadFrameAndForwardGoodOnesAfter()
    {
        final byte[] good = fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN).flags(SYN).build();

        final byte[] truncated = java.util.Arrays.copyOf(good, good.length - 5);
        final byte[] tooShortForIp = java.util.Arrays.copyOf(good, 20);
        final byte[] badIpChecksum = good.clone();
        badIpChecksum[24] ^= 0x01;
        final byte[] ipOptions = withIpOptions(good);
        final byte[] fragment = refreshIpChecksum(good.clone(), 20, 0x20); // MF
        final byte[] badDataOffset = good.clone();
        badDataOffset[46] = 0x40; // data offset 4 words
        final byte[] synRst = fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN).flags(SYN | RST).build();
        final byte[] ttlOne = fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN).flags(SYN).ttl(1).build();
        final byte[] badVersion = good.clone();
        badVersion[14] = 0x65;

        for (final byte[] frame : List.of(truncated, tooShortForIp, badIpChecksum, ipOptions, fragment, badDataOffset,
            synRst, ttlOne, badVersion))
        {
            h.send(frame);
        }
        assertEquals(0, h.transmitted().size());
        assertEquals(2, h.count(WorkerCounter.DROP_TRUNCATED));
        assertEquals(1, h.count(WorkerCounter.DROP_BAD_IP_CHECKSUM));
        assertEquals(1, h.count(WorkerCounter.DROP_IP_OPTIONS));
        assertEquals(1, h.count(WorkerCounter.DROP_FRAGMENT));
        assertEquals(2, h.count(WorkerCounter.DROP_BAD_TCP_HEADER));
        assertEquals(1, h.count(WorkerCounter.DROP_TTL_EXCEEDED));
        assertEquals(1, h.count(WorkerCounter.DROP_BAD_IP_HEADER));

        h.send(good);
        assertEquals(1, h.transmitted().size());
    }

    private static byte[] refreshIpChecksum(final byte[] frame, final int index, final int value)
    {
        frame[index] = (byte)value;
        final UnsafeBuffer buffer = new UnsafeBuffer(frame);
        final io.tandem.dataplane.packet.Ipv4Flyweight ip = new io.tandem.dataplane.packet.Ipv4Flyweight();
        ip.wrap(buffer, 14);
        ip.updateChecksum();
        return frame;
    }

    private static byte[] withIpOptions(final byte[] frame)
    {
        final byte[] out = new byte[frame.length + 4];
        System.arraycopy(frame, 0, out, 0, 34);
        out[34] = 1; // NOP options
        out[35] = 1;
        out[36] = 1;
        out[37] = 0;
        System.arraycopy(frame, 34, out, 38, frame.length - 34);
        out[14] = 0x46;
        final UnsafeBuffer buffer = new UnsafeBuffer(out);
        Bytes.u16(buffer, 16, Bytes.u16(buffer, 16) + 4);
        final io.tandem.dataplane.packet.Ipv4Flyweight ip = new io.tandem.dataplane.packet.Ipv4Flyweight();
        ip.wrap(buffer, 14);
        ip.updateChecksum();
        return out;
    }

    @Test
    void shouldForwardTcpOptionsAndPayloadUntouched()
    {
        // a SYN with MSS plus a full 1448-byte segment: only addresses, ports, TTL, MACs and checksums change
        final int snatPort = handshake(CLIENT, CLIENT_PORT);
        final byte[] payload = new byte[1448];
        new java.util.Random(7).nextBytes(payload);
        h.send(fromClient(CLIENT, CLIENT_PORT).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(ACK).payload(payload)
            .build());
        assertFrame(toTarget(0, snatPort).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(ACK).payload(payload)
            .build(), h.onlyTransmitted());
    }
}
