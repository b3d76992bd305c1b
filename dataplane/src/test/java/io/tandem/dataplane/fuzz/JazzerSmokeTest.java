package io.tandem.dataplane.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tandem.dataplane.packet.TcpFlyweight;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * Temporary experiment: does Jazzer 0.30.0 fuzz an io.tandem class compiled for release 25 on JDK 25?
 * Regression mode: {@code mvn -pl dataplane -am test -Dtest=JazzerSmokeTest}. Fuzzing mode:
 * {@code JAZZER_FUZZ=1 mvn -pl dataplane -am test -Dtest=JazzerSmokeTest -Djazzer.max_duration=20s}.
 */
class JazzerSmokeTest
{
    private final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(TcpFlyweight.MAX_HEADER_LENGTH));
    private final TcpFlyweight tcp = new TcpFlyweight();

    @FuzzTest(maxDuration = "20s")
    void shouldNeverThrowOnAnyOptionList(final byte[] data)
    {
        buffer.setMemory(0, buffer.capacity(), (byte)0);
        final int length = Math.min(data.length, buffer.capacity());
        buffer.putBytes(0, data, 0, length);
        tcp.wrap(buffer, 0);
        tcp.isOptionListValid();
        tcp.mss();
        tcp.windowScale();
        tcp.timestampsOffset();
    }
}
