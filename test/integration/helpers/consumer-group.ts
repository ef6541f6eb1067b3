// Consumer-group observations for service tests that must not depend on tripline internals:
// committed offsets of a group on a topic (how far the group has durably got) and its members.
import type { Kafka } from 'kafkajs';
import { withAdmin } from './stack.js';

export interface GroupProgress {
  /** Sum over partitions of the committed offset (unset = log start). */
  committed: number;
  /** Sum over partitions of (high watermark - committed). */
  lag: number;
  /** Partitions with a committed offset. */
  committedPartitions: number;
  partitions: number;
}

/** Committed progress of `group` on `topic`; undefined when the topic does not exist. */
export async function groupProgress(kafka: Kafka, group: string, topic: string): Promise<GroupProgress | undefined> {
  return withAdmin(kafka, async (admin) => {
    const topics = await admin.listTopics();
    if (!topics.includes(topic)) return undefined;
    const ends = await admin.fetchTopicOffsets(topic);
    const [got] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    const at = new Map((got?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
    const out: GroupProgress = { committed: 0, lag: 0, committedPartitions: 0, partitions: ends.length };
    for (const e of ends) {
      const c = at.get(e.partition) ?? -1;
      const from = c < 0 ? Number(e.low) : c;
      if (c >= 0) out.committedPartitions++;
      out.committed += from;
      out.lag += Number(e.high) - from;
    }
    return out;
  });
}

/** State and member count of a consumer group ('Dead' with 0 members when unknown). */
export async function groupMembers(kafka: Kafka, group: string): Promise<{ state: string; members: number }> {
  return withAdmin(kafka, async (admin) => {
    const { groups } = await admin.describeGroups([group]);
    const g = groups[0];
    return { state: g?.state ?? 'Dead', members: g?.members.length ?? 0 };
  });
}
