package io.xmrec.schemas.registry;

import org.apache.avro.Schema;

import java.util.HashMap;
import java.util.Map;

/** A schema registry in memory, for tests that run a topology without a broker or an HTTP registry. */
public final class InMemorySchemaRegistry implements SchemaRegistry {

    private final Map<Integer, Schema> byId = new HashMap<>();
    private final Map<String, Integer> bySchema = new HashMap<>();

    @Override
    public String url() {
        return "mem://registry";
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        String key = schema.toString();
        Integer id = bySchema.get(key);
        if (id == null) {
            id = byId.size() + 1;
            byId.put(id, schema);
            bySchema.put(key, id);
        }
        return id;
    }

    @Override
    public synchronized Schema schemaById(int id) {
        Schema s = byId.get(id);
        if (s == null) {
            throw new RegistryException("schema id " + id + " is not registered", 404, 40403, null);
        }
        return s;
    }
}
