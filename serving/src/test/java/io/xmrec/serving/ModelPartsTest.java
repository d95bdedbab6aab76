package io.xmrec.serving;

import io.xmrec.schemas.ModelRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A version in bounded parts: split by rows, put back together exactly, never from parts of another version. */
class ModelPartsTest {

    private static ModelRecord big(long version, int users, int items) {
        return ModelRecords.record(ModelRecordsTest.model(version, users, items, version), "forec");
    }

    private static ModelRecord assemble(List<ModelRecord> parts, String key) {
        ModelParts.Assembler a = new ModelParts.Assembler();
        Optional<ModelRecord> out = Optional.empty();
        for (ModelRecord p : parts) {
            assertTrue(out.isEmpty(), "complete before its head");
            out = a.accept(ModelParts.key(key, p.getPart()), p);
        }
        assertEquals(0, a.pending());
        return out.orElseThrow();
    }

    @Test
    void aLargeVersionIsSplitIntoBoundedPartsAndJoinedExactly() throws Exception {
        ModelRecord r = big(3, 900, 700);
        int limit = 16_000;
        List<ModelRecord> parts = ModelParts.split(r, limit);
        assertTrue(parts.size() > 5, "parts: " + parts.size());
        assertEquals(0, parts.get(parts.size() - 1).getPart(), "the head comes last");
        for (ModelRecord p : parts) {
            int bytes = ModelRecordsTest.encoded(p).length;
            assertTrue(bytes <= limit + 1024, "part " + p.getPart() + " is " + bytes + " bytes");
            assertEquals(parts.size(), p.getParts());
        }
        ModelRecord joined = assemble(parts.stream().map(p -> {
            try {
                return ModelRecordsTest.wire(p);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList(), "xx");
        ServedModel want = ModelRecords.served(r);
        ServedModel got = ModelRecords.served(joined);
        assertEquals(want.users().ids(), got.users().ids());
        assertEquals(want.items().ids(), got.items().ids());
        assertArrayEquals(want.catalogue(), got.catalogue());
        for (String t : want.net().asMap().keySet()) {
            assertArrayEquals(want.net().asMap().get(t), got.net().asMap().get(t), t);
        }
        assertEquals(r.getProvenance(), joined.getProvenance());
        assertEquals(List.of(r), ModelParts.split(r, Integer.MAX_VALUE), "a model that fits stays one record");
    }

    @Test
    void aHeadIsJoinedOnlyWithPartsOfItsOwnVersion() {
        List<ModelRecord> v1 = ModelParts.split(big(1, 600, 300), 12_000);
        List<ModelRecord> v2 = ModelParts.split(big(2, 400, 300), 12_000);
        ModelParts.Assembler a = new ModelParts.Assembler();
        // v1 whole, then v2 whole: each head completes its own version
        List<Long> completed = new ArrayList<>();
        for (ModelRecord p : v1) {
            a.accept(ModelParts.key("xx", p.getPart()), p).ifPresent(m -> completed.add(m.getVersion()));
        }
        for (ModelRecord p : v2) {
            a.accept(ModelParts.key("xx", p.getPart()), p).ifPresent(m -> completed.add(m.getVersion()));
        }
        assertEquals(List.of(1L, 2L), completed);
        // a head whose parts were not read (a reader that lost them) says which are missing
        List<ModelRecord> shuffled = new ArrayList<>(v2.subList(0, v2.size() - 1));
        Collections.reverse(shuffled);
        ModelParts.Assembler b = new ModelParts.Assembler();
        for (ModelRecord p : v1.subList(0, v1.size() - 1)) {
            b.accept(ModelParts.key("xx", p.getPart()), p);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> b.accept("xx", v2.get(v2.size() - 1)));
        assertTrue(e.getMessage().contains("v2") && e.getMessage().contains("were not read"), e.getMessage());
        assertEquals("xx/nmf", ModelParts.versionKey(ModelParts.key("xx/nmf", 4)));
    }
}
