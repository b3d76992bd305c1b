package io.tandem.dataplane.maglev;

import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A Maglev lookup table (Eisenbud et al., NSDI 2016, §3.4): {@link #TABLE_SIZE} slots, each holding the index of
 * the backend that owns it, so that a client hash picks a backend with one remainder and one load.
 * <p>
 * <b>Population.</b> Backend {@code i} with key {@code k} prefers the slots of its permutation
 * {@code permutation[j] = (offset + j × skip) mod M} with {@code offset = h1(k) mod M} and
 * {@code skip = h2(k) mod (M − 1) + 1}; since M is prime every permutation visits every slot. Backends take turns,
 * each claiming its next preferred slot that is still empty, until the table is full. Every backend therefore owns
 * ⌊M/N⌋ or ⌈M/N⌉ slots, and adding or removing one backend moves few slots besides those it gains or loses.
 * <p>
 * <b>Determinism.</b> h1 and h2 are fixed 64-bit mixes with no random seed: the two nodes of an appliance pair must
 * build identical tables from the same configuration so that a client keeps its backend across failover (and the
 * hashes must not change between releases that may run side by side; a golden test pins them). The table is a
 * function of the <em>set</em> of keys: backends take their turns in ascending unsigned order of key, not in the
 * order of the input array, so permuting the input only renumbers the indices stored in the slots; the backend
 * <em>key</em> that owns each slot is unchanged.
 * <p>
 * <b>Layout.</b> The slots live off-heap in a direct {@link ByteBuffer} wrapped by an {@link UnsafeBuffer}, one
 * native-endian 32-bit backend index per slot ({@link #NULL_INDEX} in every slot when there are no backends):
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 backend index of slot 0                       |  offset 0
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 backend index of slot 1                       |  offset 4
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                              ...                              |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                 backend index of slot M - 1                   |  offset 4 × (M − 1)
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * </pre>
 * The memory is not freed explicitly: it is released by the garbage collector (through the direct buffer's
 * cleaner) once the table is unreachable, so a retired table stays valid for as long as a worker still holds it.
 * <p>
 * <b>Threads.</b> Immutable once built. Build it on the control thread and hand it to the workers through a safe
 * publication (e.g. a volatile write of the snapshot that holds it); after that any number of threads may read it.
 * The read methods allocate nothing.
 */
public final class MaglevTable
{
    /**
     * Number of slots M: a prime, so every skip is coprime with it, and large enough (≥ 100 × N for N ≤ 655) that
     * backends own near-equal shares.
     */
    public static final int TABLE_SIZE = 65537;

    /**
     * Index stored in every slot of a table with no backends, and returned by {@link #lookup(int)} for it.
     */
    public static final int NULL_INDEX = -1;

    /**
     * Length in bytes of one slot.
     */
    public static final int ENTRY_LENGTH = 4;

    private static final int ENTRY_SHIFT = 2;
    private static final int M = TABLE_SIZE;

    private final UnsafeBuffer table;
    private final long[] keys;

    private MaglevTable(final UnsafeBuffer table, final long[] keys)
    {
        this.table = table;
        this.keys = keys;
    }

    /**
     * Builds a table with a fresh {@link Builder}. See {@link Builder#build(long[], int)} for the contract.
     *
     * @param backendKeys identity of each backend, e.g. {@code ((long)ipv4 << 16) | port}; only the first
     *                    {@code count} elements are read, and they are copied.
     * @param count       number of backends, 0..{@link #TABLE_SIZE}.
     * @return the new table.
     * @throws IllegalArgumentException if {@code count} is out of range, exceeds the array, or a key repeats.
     */
    public static MaglevTable build(final long[] backendKeys, final int count)
    {
        return new Builder().build(backendKeys, count);
    }

    /**
     * The hash the data plane keys the table on for a client's source IPv4 address: the murmur3 32-bit finalizer,
     * a bijective mix in which every input bit affects every output bit.
     * <p>
     * It has no random seed, on purpose: both nodes of an appliance pair (and every worker on each) must send a
     * client to the same backend, or sessions would break on failover. A seed would have to be agreed between
     * the nodes and persisted to buy little: a client that chooses its source addresses can at most choose its
     * backend, not degrade the table, and TCP makes spoofed source addresses useless past the handshake.
     *
     * @param clientIp IPv4 address as a 32-bit integer (network order value, i.e. 198.18.0.1 is 0xC6120001).
     * @return a well-mixed 32-bit hash, any value including negative ones.
     */
    public static int hashClient(final int clientIp)
    {
        int h = clientIp;
        h ^= h >>> 16;
        h *= 0x85EB_CA6B;
        h ^= h >>> 13;
        h *= 0xC2B2_AE35;
        h ^= h >>> 16;
        return h;
    }

    /**
     * Reduces a hash to a slot: the hash taken as an unsigned 32-bit number, modulo {@link #TABLE_SIZE}. Same
     * result as {@code Integer.remainderUnsigned(hash, TABLE_SIZE)}, without a division and without a branch.
     *
     * @param hash any 32-bit value, negative ones included.
     * @return slot in 0..{@link #TABLE_SIZE} − 1.
     */
    public static int slot(final int hash)
    {
        // M = 2^16 + 1, so 2^16 ≡ −1 (mod M) and hi × 2^16 + lo ≡ lo − hi, which lies in (−2^16, 2^16).
        final int r = (hash & 0xFFFF) - (hash >>> 16);
        return r + ((r >> 31) & M);
    }

    /**
     * Picks the backend for a hash: {@code entry(slot(hash))}. Allocation-free and branch-free.
     *
     * @param hash e.g. {@link #hashClient(int)} of the client address; any value, negative ones included.
     * @return backend index in 0..{@link #backendCount()} − 1, or {@link #NULL_INDEX} if there are no backends.
     */
    public int lookup(final int hash)
    {
        return table.getInt(slot(hash) << ENTRY_SHIFT);
    }

    /**
     * Reads one slot.
     *
     * @param slot 0..{@link #TABLE_SIZE} − 1.
     * @return backend index in 0..{@link #backendCount()} − 1, or {@link #NULL_INDEX} if there are no backends.
     * @throws IndexOutOfBoundsException if the slot is out of range (unless Agrona bounds checks are disabled).
     */
    public int entry(final int slot)
    {
        return table.getInt(slot << ENTRY_SHIFT);
    }

    /**
     * @return number of backends N the table was built over; 0 for an empty table.
     */
    public int backendCount()
    {
        return keys.length;
    }

    /**
     * @param index backend index as stored in the slots, 0..{@link #backendCount()} − 1.
     * @return the key given for that backend at build time.
     * @throws ArrayIndexOutOfBoundsException if the index is out of range.
     */
    public long backendKey(final int index)
    {
        return keys[index];
    }

    /**
     * h1: the offset hash of a backend key, murmur3's 64-bit finalizer over the key xor a constant.
     *
     * @param key backend key.
     * @return 64-bit hash.
     */
    static long offsetHash(final long key)
    {
        long h = key ^ 0x6A09_E667_F3BC_C909L;
        h ^= h >>> 33;
        h *= 0xFF51_AFD7_ED55_8CCDL;
        h ^= h >>> 33;
        h *= 0xC4CE_B9FE_1A85_EC53L;
        h ^= h >>> 33;
        return h;
    }

    /**
     * h2: the skip hash of a backend key, SplitMix64's finalizer (Stafford's Mix13) over the key plus the golden
     * gamma. Different multipliers, shifts and input offset from {@link #offsetHash(long)}, so the two are
     * independent for practical purposes.
     *
     * @param key backend key.
     * @return 64-bit hash.
     */
    static long skipHash(final long key)
    {
        long z = key + 0x9E37_79B9_7F4A_7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58_476D_1CE4_E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D0_49BB_1331_11EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Builds tables repeatedly with the same scratch arrays, so that only the table itself (its off-heap slots and
     * its copy of the keys) is allocated per build.
     * <p>
     * Not thread-safe: use one builder per thread (normally just the control thread). The tables it builds are
     * independent of it and of each other.
     */
    public static final class Builder
    {
        /**
         * One bit per slot, set once the slot is taken: 8 KiB that stay in L1 while the permutations jump around
         * the table, which the 256 KiB of slots would not.
         */
        private final long[] taken = new long[(TABLE_SIZE + 63) >>> 6];
        private int[] order;
        private int[] position;
        private int[] skip;

        /**
         * A builder with scratch room for 16 backends; it grows as needed.
         */
        public Builder()
        {
            this(16);
        }

        /**
         * @param initialCapacity number of backends to size the scratch arrays for; they grow as needed.
         */
        public Builder(final int initialCapacity)
        {
            final int capacity = Math.max(1, Math.min(initialCapacity, TABLE_SIZE));
            order = new int[capacity];
            position = new int[capacity];
            skip = new int[capacity];
        }

        /**
         * Builds the table over {@code count} backends. Slot values are indices into {@code backendKeys}; which
         * backend <em>key</em> owns which slot depends only on the set of keys, not on their order in the array.
         *
         * @param backendKeys identity of each backend, e.g. {@code ((long)ipv4 << 16) | port}; only the first
         *                    {@code count} elements are read, and they are copied.
         * @param count       number of backends, 0..{@link #TABLE_SIZE}; 0 builds an empty table whose lookups
         *                    return {@link #NULL_INDEX}.
         * @return the new table.
         * @throws IllegalArgumentException if {@code count} is negative, above {@link #TABLE_SIZE} or above the
         *                                  array length, or if a key occurs twice.
         */
        public MaglevTable build(final long[] backendKeys, final int count)
        {
            if (count < 0)
            {
                throw new IllegalArgumentException("backend count must not be negative: " + count);
            }
            if (count > TABLE_SIZE)
            {
                throw new IllegalArgumentException(
                    "backend count " + count + " exceeds the table size " + TABLE_SIZE);
            }
            if (count > backendKeys.length)
            {
                throw new IllegalArgumentException(
                    "backend count " + count + " exceeds the key array length " + backendKeys.length);
            }

            final long[] keys = Arrays.copyOf(backendKeys, count);
            final UnsafeBuffer table = new UnsafeBuffer(ByteBuffer.allocateDirect(TABLE_SIZE * ENTRY_LENGTH));
            if (0 == count)
            {
                table.setMemory(0, table.capacity(), (byte)0xFF);
            }
            else
            {
                ensureCapacity(count);
                sortByKey(keys, count);
                populate(keys, count, table);
            }

            return new MaglevTable(table, keys);
        }

        private void ensureCapacity(final int count)
        {
            if (order.length < count)
            {
                final int capacity = (int)Math.min(TABLE_SIZE, Math.max(count, 2L * order.length));
                order = new int[capacity];
                position = new int[capacity];
                skip = new int[capacity];
            }
        }

        /**
         * Fills {@code order} with 0..count − 1 sorted by ascending unsigned key (heap sort: in place, no garbage,
         * O(N log N)), then rejects repeated keys, which are now adjacent.
         */
        private void sortByKey(final long[] keys, final int count)
        {
            final int[] order = this.order;
            for (int i = 0; i < count; i++)
            {
                order[i] = i;
            }

            for (int i = (count >>> 1) - 1; i >= 0; i--)
            {
                siftDown(order, keys, i, count);
            }
            for (int end = count - 1; end > 0; end--)
            {
                final int top = order[0];
                order[0] = order[end];
                order[end] = top;
                siftDown(order, keys, 0, end);
            }

            for (int r = 1; r < count; r++)
            {
                if (keys[order[r - 1]] == keys[order[r]])
                {
                    final int a = Math.min(order[r - 1], order[r]);
                    final int b = Math.max(order[r - 1], order[r]);
                    throw new IllegalArgumentException(
                        "duplicate backend key 0x" + Long.toHexString(keys[a]) + " at indices " + a + " and " + b);
                }
            }
        }

        private static void siftDown(final int[] order, final long[] keys, final int root, final int length)
        {
            final int item = order[root];
            final long itemKey = keys[item];
            int i = root;
            int child;
            while ((child = 2 * i + 1) < length)
            {
                if (child + 1 < length && Long.compareUnsigned(keys[order[child + 1]], keys[order[child]]) > 0)
                {
                    child++;
                }
                if (Long.compareUnsigned(keys[order[child]], itemKey) <= 0)
                {
                    break;
                }
                order[i] = order[child];
                i = child;
            }
            order[i] = item;
        }

        /**
         * The population loop of the paper (pseudocode 1), with each backend's permutation walked incrementally:
         * {@code position[r]} is the slot of its next preference, advanced by its skip modulo M with a compare and
         * subtract rather than a division. Backends take turns in key order ({@code order}). Every slot is written
         * exactly once, straight into the table.
         */
        private void populate(final long[] keys, final int count, final UnsafeBuffer table)
        {
            final long[] taken = this.taken;
            final int[] order = this.order;
            final int[] position = this.position;
            final int[] skip = this.skip;

            for (int r = 0; r < count; r++)
            {
                final long key = keys[order[r]];
                position[r] = (int)Long.remainderUnsigned(offsetHash(key), M);
                skip[r] = (int)Long.remainderUnsigned(skipHash(key), M - 1) + 1;
            }
            Arrays.fill(taken, 0L);

            // Terminates: M is prime and 1 ≤ skip < M, so each permutation reaches every slot, and a backend always
            // finds an empty one while the table is not full. Most probes happen near the end, when few slots are
            // left (about M ln M probes in all), so the probe loop tests two preferences per step: that halves the
            // chain of dependent additions, which is what bounds its speed.
            int filled = 0;
            while (true)
            {
                for (int r = 0; r < count; r++)
                {
                    final int s = skip[r];
                    final int s2 = advance(s, s);
                    int p = position[r];
                    while (isTaken(taken, p))
                    {
                        final int p1 = advance(p, s);
                        if (!isTaken(taken, p1))
                        {
                            p = p1;
                            break;
                        }
                        p = advance(p, s2);
                    }

                    taken[p >>> 6] |= 1L << p;
                    table.putInt(p << ENTRY_SHIFT, order[r]);
                    position[r] = advance(p, s);

                    if (++filled == TABLE_SIZE)
                    {
                        return;
                    }
                }
            }
        }

        private static boolean isTaken(final long[] taken, final int slot)
        {
            // Shifts of a long use the low 6 bits of the distance only, so 1L << slot is the bit within its word.
            return (taken[slot >>> 6] & (1L << slot)) != 0;
        }

        /**
         * @return (p + s) mod M for p and s in [0, M), without a division.
         */
        private static int advance(final int p, final int s)
        {
            final int q = p + s;
            return q >= M ? q - M : q;
        }
    }
}
