package io.tandem.dataplane.flow;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Off-heap connection table: fixed-size {@link FlowRecord}s and an open-addressing index with linear probing in
 * which each connection has two keys, one per direction, each found by the 4-tuple its packets carry (the protocol
 * is always TCP):
 * <pre>
 *   from the client:  (src = clientIp, dst = vip,    srcPort = clientPort, dstPort = vipPort)
 *   from the target:  (src = targetIp, dst = snatIp, srcPort = targetPort, dstPort = snatPort)
 * </pre>
 * Index slot, 16 bytes:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                       src address                             |
 *  +---------------------------------------------------------------+
 *  |                       dst address                             |
 *  +-------------------------------+-------------------------------+
 *  |          src port             |           dst port            |
 *  +-------------------------------+-------------------------------+
 *  |     value: record index << 1 | direction, or -1 when empty    |
 *  +---------------------------------------------------------------+
 * </pre>
 * The index has a power-of-two number of slots, at least 4/3 of the keys at full capacity, so the load factor stays
 * at or below 0.75. Deletion shifts later entries of the probe run back (no tombstones), so lookups never degrade
 * with churn. Insert, lookup and remove are O(1) expected and never allocate. The hash is seeded per table so that
 * a sender cannot precompute colliding tuples offline.
 * <p>
 * Not thread-safe: one table per worker. All memory comes from one shared {@link Arena}, freed by {@link #close()}.
 */
public final class FlowTable implements AutoCloseable
{
    /** No record, or not found. */
    public static final int NULL_INDEX = -1;
    /** Returned by insert when either key is already present. */
    public static final int DUPLICATE = -2;
    /** Direction of a key: the packet came from the client. */
    public static final int DIR_FROM_CLIENT = 0;
    /** Direction of a key: the packet came from the target. */
    public static final int DIR_FROM_TARGET = 1;
    /** Size of an index slot in bytes. */
    public static final int SLOT_LENGTH = 16;

    private static final int SLOT_SRC_DST_OFFSET = 0;
    private static final int SLOT_PORTS_OFFSET = 8;
    private static final int SLOT_VALUE_OFFSET = 12;
    private static final int EMPTY = -1;

    private final int capacity;
    private final int slotMask;
    private final long seed;
    private final Arena arena;
    private final RawMemory index;
    private final RawMemory records;
    private int freeHead;
    private int size;

    /**
     * Allocates a table for {@code capacity} connections.
     *
     * @param capacity maximum number of connections, 1 .. 16 000 000.
     * @param seed     hash seed, e.g. from {@link java.util.concurrent.ThreadLocalRandom}.
     */
    public FlowTable(final int capacity, final long seed)
    {
        if (capacity < 1 || capacity > 16_000_000)
        {
            throw new IllegalArgumentException("flow table capacity must be 1..16000000: " + capacity);
        }
        this.capacity = capacity;
        this.seed = seed;
        final int slots = slotCount(capacity);
        this.slotMask = slots - 1;
        this.arena = Arena.ofShared();
        final MemorySegment indexSegment = arena.allocate((long)slots * SLOT_LENGTH, 64);
        final MemorySegment recordSegment = arena.allocate((long)capacity * FlowRecord.LENGTH, 64);
        indexSegment.fill((byte)0xFF);
        this.index = new RawMemory(indexSegment);
        this.records = new RawMemory(recordSegment);
        for (int i = 0; i < capacity; i++)
        {
            records.putInt(recordOffset(i) + FlowRecord.TIMER_NEXT_OFFSET, i + 1 < capacity ? i + 1 : NULL_INDEX);
        }
        freeHead = 0;
    }

    /**
     * @param capacity connections.
     * @return index slots for that capacity: the next power of two at or above 8/3 × capacity (two keys each).
     */
    public static int slotCount(final int capacity)
    {
        final long keys = 2L * capacity;
        final long wanted = (keys * 4 + 2) / 3;
        return (int)Math.max(16, Long.highestOneBit(wanted - 1) << 1);
    }

    /**
     * @param capacity connections.
     * @return bytes of off-heap memory a table of that capacity takes: index plus records.
     */
    public static long footprintBytes(final int capacity)
    {
        return (long)slotCount(capacity) * SLOT_LENGTH + (long)capacity * FlowRecord.LENGTH;
    }

    /** @return maximum number of connections. */
    public int capacity()
    {
        return capacity;
    }

    /** @return connections in the table. */
    public int size()
    {
        return size;
    }

    /** @return the record area; records start at {@link #recordOffset(int)}. */
    public RawMemory records()
    {
        return records;
    }

    /** @return byte offset of a record in {@link #records()}. */
    public int recordOffset(final int recordIndex)
    {
        return recordIndex * FlowRecord.LENGTH;
    }

    /** @return true when the record is in use. */
    public boolean isInUse(final int recordIndex)
    {
        return (records.getByte(recordOffset(recordIndex) + FlowRecord.FLAGS_OFFSET) & FlowRecord.FLAG_IN_USE) != 0;
    }

    /**
     * Finds the connection a packet belongs to.
     *
     * @param srcIp   the packet's source address.
     * @param dstIp   the packet's destination address.
     * @param srcPort the packet's source port.
     * @param dstPort the packet's destination port.
     * @return {@code recordIndex << 1 | direction} ({@link #DIR_FROM_CLIENT} or {@link #DIR_FROM_TARGET}), or
     * {@link #NULL_INDEX}.
     */
    public int lookup(final int srcIp, final int dstIp, final int srcPort, final int dstPort)
    {
        final long addresses = addresses(srcIp, dstIp);
        final int ports = ports(srcPort, dstPort);
        int slot = home(addresses, ports);
        while (true)
        {
            final int at = slot * SLOT_LENGTH;
            final int value = index.getInt(at + SLOT_VALUE_OFFSET);
            if (EMPTY == value)
            {
                return NULL_INDEX;
            }
            if (index.getLong(at + SLOT_SRC_DST_OFFSET) == addresses && index.getInt(at + SLOT_PORTS_OFFSET) == ports)
            {
                return value;
            }
            slot = (slot + 1) & slotMask;
        }
    }

    /**
     * Inserts a connection with both of its keys. The record's tuple fields are written, {@link FlowRecord#FLAG_IN_USE}
     * is set, the timer links are {@link #NULL_INDEX} and every other field is zero; the caller fills in the rest.
     * A full table is reported before a duplicate.
     *
     * @return the record index, {@link #NULL_INDEX} when the table is full, or {@link #DUPLICATE} when either key is
     * already present (nothing is changed then).
     */
    public int insert(
        final int clientIp,
        final int clientPort,
        final int vip,
        final int vipPort,
        final int targetIp,
        final int targetPort,
        final int snatIp,
        final int snatPort)
    {
        if (NULL_INDEX == freeHead)
        {
            return NULL_INDEX;
        }
        final long fwdAddresses = addresses(clientIp, vip);
        final int fwdPorts = ports(clientPort, vipPort);
        final long revAddresses = addresses(targetIp, snatIp);
        final int revPorts = ports(targetPort, snatPort);
        final int fwdSlot = findSlot(fwdAddresses, fwdPorts);
        if (fwdSlot < 0 || (fwdAddresses == revAddresses && fwdPorts == revPorts))
        {
            return DUPLICATE;
        }
        final int recordIndex = freeHead;
        putSlot(fwdSlot, fwdAddresses, fwdPorts, recordIndex << 1 | DIR_FROM_CLIENT);
        final int revSlot = findSlot(revAddresses, revPorts);
        if (revSlot < 0)
        {
            deleteSlot(fwdSlot);
            return DUPLICATE;
        }
        putSlot(revSlot, revAddresses, revPorts, recordIndex << 1 | DIR_FROM_TARGET);

        final int base = recordOffset(recordIndex);
        freeHead = records.getInt(base + FlowRecord.TIMER_NEXT_OFFSET);
        records.setMemory(base, FlowRecord.LENGTH, (byte)0);
        records.putInt(base + FlowRecord.CLIENT_IP_OFFSET, clientIp);
        records.putInt(base + FlowRecord.VIP_OFFSET, vip);
        records.putShort(base + FlowRecord.CLIENT_PORT_OFFSET, (short)clientPort);
        records.putShort(base + FlowRecord.VIP_PORT_OFFSET, (short)vipPort);
        records.putInt(base + FlowRecord.TARGET_IP_OFFSET, targetIp);
        records.putInt(base + FlowRecord.SNAT_IP_OFFSET, snatIp);
        records.putShort(base + FlowRecord.TARGET_PORT_OFFSET, (short)targetPort);
        records.putShort(base + FlowRecord.SNAT_PORT_OFFSET, (short)snatPort);
        records.putByte(base + FlowRecord.FLAGS_OFFSET, (byte)FlowRecord.FLAG_IN_USE);
        records.putInt(base + FlowRecord.TIMER_PREV_OFFSET, NULL_INDEX);
        records.putInt(base + FlowRecord.TIMER_NEXT_OFFSET, NULL_INDEX);
        records.putInt(base + FlowRecord.TIMER_SLOT_OFFSET, NULL_INDEX);
        size++;
        return recordIndex;
    }

    /**
     * Removes a connection: both keys, and the record goes back to the free list. The caller unlinks it from any
     * timer list first.
     *
     * @param recordIndex of a record in use.
     */
    public void remove(final int recordIndex)
    {
        final int base = recordOffset(recordIndex);
        if ((records.getByte(base + FlowRecord.FLAGS_OFFSET) & FlowRecord.FLAG_IN_USE) == 0)
        {
            throw new IllegalStateException("record not in use: " + recordIndex);
        }
        deleteKey(
            addresses(records.getInt(base + FlowRecord.CLIENT_IP_OFFSET), records.getInt(base + FlowRecord.VIP_OFFSET)),
            ports(records.getShort(base + FlowRecord.CLIENT_PORT_OFFSET) & 0xFFFF,
                records.getShort(base + FlowRecord.VIP_PORT_OFFSET) & 0xFFFF));
        deleteKey(
            addresses(records.getInt(base + FlowRecord.TARGET_IP_OFFSET),
                records.getInt(base + FlowRecord.SNAT_IP_OFFSET)),
            ports(records.getShort(base + FlowRecord.TARGET_PORT_OFFSET) & 0xFFFF,
                records.getShort(base + FlowRecord.SNAT_PORT_OFFSET) & 0xFFFF));
        records.putByte(base + FlowRecord.FLAGS_OFFSET, (byte)0);
        records.putInt(base + FlowRecord.TIMER_NEXT_OFFSET, freeHead);
        freeHead = recordIndex;
        size--;
    }

    /** Frees the table's memory. The table must not be used afterwards. */
    public void close()
    {
        arena.close();
    }

    private static long addresses(final int srcIp, final int dstIp)
    {
        return ((long)srcIp << 32) | (dstIp & 0xFFFF_FFFFL);
    }

    private static int ports(final int srcPort, final int dstPort)
    {
        return (srcPort << 16) | (dstPort & 0xFFFF);
    }

    private int home(final long addresses, final int ports)
    {
        long h = (addresses ^ seed) * 0x9E37_79B9_7F4A_7C15L + ports;
        h ^= h >>> 32;
        h *= 0xD6E8_FEB8_6659_FD93L;
        h ^= h >>> 32;
        return (int)h & slotMask;
    }

    /** @return the empty slot where the key belongs, or -1 when it is present. */
    private int findSlot(final long addresses, final int ports)
    {
        int slot = home(addresses, ports);
        while (true)
        {
            final int at = slot * SLOT_LENGTH;
            if (EMPTY == index.getInt(at + SLOT_VALUE_OFFSET))
            {
                return slot;
            }
            if (index.getLong(at + SLOT_SRC_DST_OFFSET) == addresses && index.getInt(at + SLOT_PORTS_OFFSET) == ports)
            {
                return -1;
            }
            slot = (slot + 1) & slotMask;
        }
    }

    private void putSlot(final int slot, final long addresses, final int ports, final int value)
    {
        final int at = slot * SLOT_LENGTH;
        index.putLong(at + SLOT_SRC_DST_OFFSET, addresses);
        index.putInt(at + SLOT_PORTS_OFFSET, ports);
        index.putInt(at + SLOT_VALUE_OFFSET, value);
    }

    private void deleteKey(final long addresses, final int ports)
    {
        int slot = home(addresses, ports);
        while (true)
        {
            final int at = slot * SLOT_LENGTH;
            if (EMPTY == index.getInt(at + SLOT_VALUE_OFFSET))
            {
                throw new IllegalStateException("flow table index lost a key");
            }
            if (index.getLong(at + SLOT_SRC_DST_OFFSET) == addresses && index.getInt(at + SLOT_PORTS_OFFSET) == ports)
            {
                deleteSlot(slot);
                return;
            }
            slot = (slot + 1) & slotMask;
        }
    }

    /** Backward-shift deletion: moves later members of the probe run into the hole so no tombstone is needed. */
    private void deleteSlot(final int slot)
    {
        int hole = slot;
        int j = slot;
        while (true)
        {
            j = (j + 1) & slotMask;
            final int at = j * SLOT_LENGTH;
            if (EMPTY == index.getInt(at + SLOT_VALUE_OFFSET))
            {
                break;
            }
            final int home = home(index.getLong(at + SLOT_SRC_DST_OFFSET), index.getInt(at + SLOT_PORTS_OFFSET));
            // the entry at j may move to the hole only if its home is not cyclically within (hole, j]
            final boolean homeInRange = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
            if (!homeInRange)
            {
                index.putLong(hole * SLOT_LENGTH + SLOT_SRC_DST_OFFSET, index.getLong(at + SLOT_SRC_DST_OFFSET));
                index.putInt(hole * SLOT_LENGTH + SLOT_PORTS_OFFSET, index.getInt(at + SLOT_PORTS_OFFSET));
                index.putInt(hole * SLOT_LENGTH + SLOT_VALUE_OFFSET, index.getInt(at + SLOT_VALUE_OFFSET));
                hole = j;
            }
        }
        index.putInt(hole * SLOT_LENGTH + SLOT_VALUE_OFFSET, EMPTY);
    }
}
