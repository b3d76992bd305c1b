package io.tandem.dataplane.flow;

/**
 * The eight tuple fields of one connection as the tests hand them to {@link FlowTable#insert}, with the two index
 * keys they give: forward {@code (clientIp, vip, clientPort, vipPort)} and reverse
 * {@code (targetIp, snatIp, targetPort, snatPort)}. Ports are 0..65535.
 */
record TestConnection(
    int clientIp, int clientPort, int vip, int vipPort, int targetIp, int targetPort, int snatIp, int snatPort)
{
    /** Number of tuple fields, for {@link #field(int)} and {@link #withField(int, int)}. */
    static final int FIELD_COUNT = 8;

    /** @return the key of packets from the client. */
    TestKey forwardKey()
    {
        return new TestKey(clientIp, vip, clientPort, vipPort);
    }

    /** @return the key of packets from the target. */
    TestKey reverseKey()
    {
        return new TestKey(targetIp, snatIp, targetPort, snatPort);
    }

    /** @return the key for a direction, {@link FlowTable#DIR_FROM_CLIENT} or {@link FlowTable#DIR_FROM_TARGET}. */
    TestKey key(final int direction)
    {
        return FlowTable.DIR_FROM_CLIENT == direction ? forwardKey() : reverseKey();
    }

    /** @return the result of inserting this connection. */
    int insertInto(final FlowTable table)
    {
        return table.insert(clientIp, clientPort, vip, vipPort, targetIp, targetPort, snatIp, snatPort);
    }

    /** @return true when the record holds exactly this tuple. */
    boolean matches(final FlowRecord record)
    {
        return record.clientIp() == clientIp && record.clientPort() == clientPort && record.vip() == vip &&
            record.vipPort() == vipPort && record.targetIp() == targetIp && record.targetPort() == targetPort &&
            record.snatIp() == snatIp && record.snatPort() == snatPort;
    }

    /** @return true when {@code field} (0..7) is a port rather than an address. */
    static boolean isPort(final int field)
    {
        return (field & 1) == 1;
    }

    /** @return the value of a field, in constructor order. */
    int field(final int field)
    {
        return switch (field)
        {
            case 0 -> clientIp;
            case 1 -> clientPort;
            case 2 -> vip;
            case 3 -> vipPort;
            case 4 -> targetIp;
            case 5 -> targetPort;
            case 6 -> snatIp;
            case 7 -> snatPort;
            default -> throw new IllegalArgumentException("field " + field);
        };
    }

    /** @return a copy with one field, in constructor order, replaced. */
    TestConnection withField(final int field, final int value)
    {
        return switch (field)
        {
            case 0 -> new TestConnection(value, clientPort, vip, vipPort, targetIp, targetPort, snatIp, snatPort);
            case 1 -> new TestConnection(clientIp, value, vip, vipPort, targetIp, targetPort, snatIp, snatPort);
            case 2 -> new TestConnection(clientIp, clientPort, value, vipPort, targetIp, targetPort, snatIp, snatPort);
            case 3 -> new TestConnection(clientIp, clientPort, vip, value, targetIp, targetPort, snatIp, snatPort);
            case 4 -> new TestConnection(clientIp, clientPort, vip, vipPort, value, targetPort, snatIp, snatPort);
            case 5 -> new TestConnection(clientIp, clientPort, vip, vipPort, targetIp, value, snatIp, snatPort);
            case 6 -> new TestConnection(clientIp, clientPort, vip, vipPort, targetIp, targetPort, value, snatPort);
            case 7 -> new TestConnection(clientIp, clientPort, vip, vipPort, targetIp, targetPort, snatIp, value);
            default -> throw new IllegalArgumentException("field " + field);
        };
    }

    /** @return a connection whose forward key is {@code key}, other fields from this one. */
    TestConnection withForwardKey(final TestKey key)
    {
        return new TestConnection(
            key.srcIp(), key.srcPort(), key.dstIp(), key.dstPort(), targetIp, targetPort, snatIp, snatPort);
    }

    /** @return a connection whose reverse key is {@code key}, other fields from this one. */
    TestConnection withReverseKey(final TestKey key)
    {
        return new TestConnection(
            clientIp, clientPort, vip, vipPort, key.srcIp(), key.srcPort(), key.dstIp(), key.dstPort());
    }

    /**
     * One direction's index key: the 4-tuple a packet carries.
     *
     * @param srcIp   source address.
     * @param dstIp   destination address.
     * @param srcPort source port.
     * @param dstPort destination port.
     */
    record TestKey(int srcIp, int dstIp, int srcPort, int dstPort)
    {
        /** @return the result of looking this key up. */
        int lookupIn(final FlowTable table)
        {
            return table.lookup(srcIp, dstIp, srcPort, dstPort);
        }

        /** @return the key with source and destination swapped, as the packets of the other direction carry it. */
        TestKey swapped()
        {
            return new TestKey(dstIp, srcIp, dstPort, srcPort);
        }
    }
}
