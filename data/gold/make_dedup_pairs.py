#!/usr/bin/env python3
"""Expands the hand-labeled groups below into dedup_pairs.tsv.

The labels are made by hand, here: each GROUP is a set of facts that state the
same claim; every pair inside a group is written with label 1 (all pairs, so
the file is transitively closed). SUBSUMED links say that every fact of one
group is wholly contained in every fact of another, longer group (label 1,
kind subsumed) without the two groups being one claim. NEGATIVES are label-0
pairs written one by one. Run from anywhere:  python3 data/gold/make_dedup_pairs.py
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))
VAULT = os.path.join(HERE, "..", "vault")

P = "Accounts/Microsoft.md"
S = "Accounts/Microsoft.sync-conflict-20260105-093000-VAULT01.md"
A = "Inbox/_archive/2025-11-12/2025-11-12 - Announcements.md"
M = "Meetings/2025-11-12 - Microsoft AI capacity and VAST.md"
J = "Meetings/2025-12-16 - Prep for Microsoft AI talks.md"

# A member is (path, line) or (path, line, "sub"): "sub" marks a shorter member
# (usually a Topics bullet) whose claim is wholly inside the full members; its
# pairs with full members get kind "subsumed".
GROUPS = [
    ("big-pause", "Big Pause over; near-term capacity via self-build, leases, neoclouds",
     [(P, 15), (S, 15), (P, 108), (S, 32), (M, 25), (P, 172), (S, 44)]),
    ("tokens", "monetization thesis tokens/API over IaaS; Foundry as token factory",
     [(P, 17), (S, 17), (M, 26), (P, 174, "sub"), (S, 46, "sub")]),
    ("accelerators", "Nvidia workhorse/primary, MAIA lags, may use OpenAI ASIC",
     [(P, 19), (S, 19), (M, 27), (P, 176), (S, 48)]),
    ("openai-deal", "2025-10-28 Microsoft-OpenAI agreement terms (exclusivity continues, IP to 2032, research IP 2030, $250B+, no ROFR, AGI)",
     [(P, 21), (S, 21), (M, 28), (P, 178, "sub"), (S, 50, "sub")]),
    ("deal-implication", "agreement locks in Azure demand and loosens exclusivity (ROFR removed)",
     [(P, 23), (S, 23)]),
    ("post-training", "post-training compute ramping, latency-insensitive, remote DCs; fleet fungible",
     [(P, 25), (S, 25)]),
    ("gpu-life", "GPU economic life beyond 2-3 years; long-lived clusters, continual data growth",
     [(P, 27), (S, 27)]),
    ("semianalysis-view", "001's combined SemiAnalysis bullet (post-training + GPU life)",
     [(M, 29)]),
    ("vast-positioning", "VAST as fastest route to usable capacity for OpenAI-related/Foundry tenants; consistent perf, simple ops, cross-cloud mobility",
     [(P, 29), (S, 29), (A, 14)]),
    ("openai-multiprovider", "no ROFR -> OpenAI builds across providers; VAST as common/portable data layer across Azure/Oracle/neoclouds + future OpenAI ASIC pods",
     [(A, 16), (A, 41)]),
    ("mai-timeline-kushal", "Kushal via Lior: GPU drop Feb 2026, storage ready May-June 2026, January no longer hard",
     [(P, 35), (P, 77)]),
    ("mai-decides-storage", "Kushal via Lior: MAI decides storage; told Manish Blob vs VAST makes no sense",
     [(P, 37), (P, 79)]),
    ("imming-managed-vallery", "Peter Imming was Jason Vallery's manager at Microsoft",
     [(P, 41), (P, 83, "sub")]),
    ("redmond-poc", "physical VAST PoC installed and being tested in Microsoft's Redmond lab",
     [(P, 43), (P, 85), (P, 206), (P, 246)]),
    ("redmond-no-gpu", "Redmond lab has no GPU nodes for testing",
     [(P, 45), (P, 87)]),
    ("redmond-poc-summary", "Recent Context 2025-12-11: testing PoC in Redmond lab but lacks GPU nodes, so t... (truncated)",
     [(P, 122), (P, 148)]),
    ("voc-request", "Microsoft requested an Azure VoC instance for perf testing vs Azure GPU instances",
     [(P, 47), (P, 89), (P, 208, "sub"), (P, 248, "sub")]),
    ("voc-refused", "VAST will not provide an Azure VoC instance (VAST Azure not ready)",
     [(P, 279), (P, 289)]),
    ("aks-roadshow", "VAST + AKS presentation to Microsoft GBB AI infra sellers, AKS AI Roadshow, 2025-12-09 8-9 AM, Teams",
     [(P, 49), (P, 91), (P, 214, "sub")]),
    ("whale-iptic", "Whale Iptic multi-pod across AWS/GCP/Azure against single-cloud outage",
     [(P, 51), (P, 95)]),
    ("rockset-blob", "Azure Blob persists OpenAI's Rockset-based platform",
     [(P, 55), (P, 97)]),
    ("cosmos", "OpenAI uses Azure Cosmos DB heavily for conversation persistence",
     [(P, 57), (P, 99)]),
    ("docx", "document 'VAST and Azure Integration.docx' is about VAST-Azure integration",
     [(P, 59), (P, 101)]),
    ("jonsi-blob-proposal", "Microsoft contacts (Aung, Maneesh Sah) expect a VAST Azure Blob integration proposal",
     [(P, 71), (P, 234, "sub")]),
    ("mentioned-escalation-1221", "Mentioned in (2025-12-21): Jeff Denworth escalation on MAI supply chain risk / immediate deployment plan",
     [(P, 116), (P, 142)]),
    ("kristin-portal-request", "2025-12-16 Kristin Thompson asked about Learning Portal access for Microsoft prospect (truncated)",
     [(P, 118), (P, 144)]),
    ("mentioned-imming-berube", "Mentioned in (2025-12-18): Peter Imming introduces Sebastien Berube (AWS) to Jason Vallery for coffee",
     [(P, 120, "sub"), (P, 146)]),
    ("mentioned-whale", "Mentioned in (2025-12-17): Avinash Lakshman 1:1 on Whale Iptic platform and potential VAST integration",
     [(P, 126), (P, 152)]),
    ("mentioned-trogler", "Mentioned in (2025-11-20): Adem Sefa introduces Edwin Trogler for VAST FP&A Director opportunity",
     [(P, 128), (P, 150)]),
    ("mentioned-openai-org", "Mentioned in (2025-12-12): OpenAI data infra org/platforms via John Mao's friend",
     [(P, 130), (P, 154)]),
    ("mentioned-docx-access", "Mentioned in (2025-12-22): Lior Genzel's access request for 'VAST and Azure Integration.docx'",
     [(P, 132), (P, 156)]),
    ("mentioned-weekly-status", "Mentioned in (2026-01-05): weekly status Azure Marketplace (SKU change, GDC RFP deck, MAI unified cache pricing)",
     [(P, 134), (P, 158)]),
    ("gtm-reschedule", "Karl Rautenstrauch moved/asked to move the Weekly VAST GTM Meeting off Monday 2026-01-05",
     [(P, 136), (P, 160), (P, 283), (P, 295), (P, 224, "sub"), (P, 260, "sub")]),
    ("mai-q1-deal-risk", "Jeff escalated risk of missing the Q1 2026 Azure MAI deal",
     [(P, 138), (P, 228, "sub")]),
    ("ignite", "VAST-Microsoft follow-up / technical collaboration after Ignite",
     [(P, 192), (P, 238)]),
    ("sushant-intro", "Lior Genzel connects Jason Vallery and Sushant Rewaskar (Microsoft) via an intro call",
     [(P, 112), (P, 275), (P, 196, "sub"), (P, 240, "sub")]),
    ("uk-met-poc", "topic: engineering-level PoC for UK Met",
     [(P, 202), (P, 244)]),
    ("share-slides", "topic: sharing the (AKS roadshow) presentation slides and code with Microsoft",
     [(P, 216), (P, 254)]),
    ("pipeline-topic", "topic: Azure customer pipeline review/sync, expanding it with Microsoft sellers",
     [(P, 218), (P, 256)]),
    ("gns-demo", "topic: demo/accelerator to showcase VAST Global Namespace on Azure",
     [(P, 220, "sub"), (P, 258)]),
    ("gns-status-owner", "Lior Genzel owns engineering status for Global Namespace on Azure",
     [(P, 222, "sub"), (P, 293)]),
    ("gtm-agenda", "topic: full weekly VAST-Microsoft GTM agenda",
     [(P, 226)]),
    ("gtm-agenda-short", "topic: weekly GTM coordination agenda, shorter list",
     [(P, 262)]),
    ("egress", "networking plan minimizing egress costs incl. ExpressRoute Direct Local",
     [(P, 269), (S, 67), (P, 182, "sub"), (S, 54, "sub")]),
    ("lifter-ga", "align Azure GA with Microsoft Lifter phases, Feb GA vs Sep first-party milestone",
     [(P, 271), (S, 69), (P, 184), (S, 56)]),
    ("roi-data", "validate which Microsoft data may be used in ROI comparisons",
     [(P, 273), (S, 71), (P, 186, "sub"), (S, 58, "sub")]),
    ("no-decisions", "no explicit decisions recorded",
     [(P, 267), (S, 65)]),
    ("task-list-0105", "2026-01-05 task list for the Azure engagement (truncated)",
     [(P, 110), (S, 34)]),
    ("collateral", "topic: sales enablement collateral (LSv4, LSv5, OEM/ODM, comparison slide)",
     [(P, 188), (S, 60)]),
    ("bizdev", "topic: Microsoft BizDev education; intro to Ronnie Booker via John Tinter",
     [(P, 190), (S, 62)]),
    ("workload-topic", "topic: workload mix shift",
     [(P, 180), (S, 52)]),
    ("learning-portal-pending", "Trevor's Learning Portal access pending until Lior confirms objectives",
     [(P, 277), (P, 287, "sub")]),
    ("pipeline-sync-jan", "Tiffany Stonehill / Mohamad Al Jazaery pipeline sync in January 2026 (Mohamad out two weeks)",
     [(P, 281), (P, 291)]),
    ("blob-positioning", "Blob = central exabyte-scale data lake, VAST = GPU-adjacent storage, deep integration",
     [(J, 32), (J, 47, "sub")]),
    ("bifrost-apollo", "Bifrost/Apollo internal Microsoft initiatives",
     [(J, 38), (J, 48, "sub")]),
    ("flash-hdd", "flash/HDD supply-chain constraints and purchasing",
     [(J, 40), (J, 50, "sub")]),
    ("2eb-2025", "Jeff: MAI needs 2EB on the floor in 2025",
     [(P, 63)]),
    ("2eb-2025-order-early", "Jeff: MAI needs 2EB in 2025 and must order hardware early (compound)",
     [(P, 103)]),
    ("supply-allocation", "Jeff: large Azure allocation but bad supply chain position",
     [(P, 65)]),
    ("hdd-april", "Jeff: considering HDDs for first April (2026) MAI delivery; HDD supply constrained",
     [(P, 67)]),
    ("supply-compound", "Jeff: poor supply chain + large allocation + HDDs for first April delivery (compound)",
     [(P, 105)]),
    ("gtm-marketplace", "topic: Azure Marketplace onboarding blockers and transactions",
     [(P, 264)]),
]

# (smaller group, containing group, comment): every fact of the first group is
# wholly stated inside every fact of the second.
SUBSUMED = [
    ("gpu-life", "semianalysis-view", "001's bullet states the GPU-life claim in full, plus the post-training claim"),
    ("redmond-poc", "redmond-poc-summary", "PoC-testing claim is the first half of the truncated 2025-12-11 summary"),
    ("redmond-no-gpu", "redmond-poc-summary", "no-GPU-nodes claim is the second (coordinate) half of the 2025-12-11 summary"),
    ("2eb-2025", "2eb-2025-order-early", "2EB-in-2025 claim restated inside the longer fact that adds ordering early"),
    ("supply-allocation", "supply-compound", "allocation + bad supply chain position is the first part of the compound fact"),
    ("hdd-april", "supply-compound", "HDD claim is inside the compound fact (which omits the year 2026 of 'first April delivery')"),
    ("gtm-agenda-short", "gtm-agenda", "every item of the short agenda (pipeline, timelines, engagement status, risks, launch assets, collateral) is in the full agenda"),
    ("gtm-marketplace", "gtm-agenda", "'Marketplace onboarding blockers and later transactions' is an item of the full agenda topic"),
]

# label-0 pairs: (kind, path1, line1, path2, line2, comment)
NEGATIVES = [
    ("different", P, 45, P, 47, "lab lacks GPU nodes vs Microsoft requested a VoC instance; the GPU-node fact is only the stated reason of the request, the asserted claim differs (brief's example)"),
    ("different", P, 87, P, 89, "same as 45/47 in the second copy: lab state vs request"),
    ("different", P, 45, P, 89, "lab state vs VoC request (cross copy)"),
    ("different", P, 87, P, 47, "lab state vs VoC request (cross copy)"),
    ("different", P, 43, P, 45, "Redmond lab: PoC installed and tested vs no GPU nodes"),
    ("different", P, 47, P, 279, "Microsoft requested a VoC instance vs VAST will not provide one: request vs refusal"),
    ("different", P, 89, P, 289, "request vs refusal of the Azure VoC instance"),
    ("different", P, 208, P, 279, "topic 'request for VoC instance' vs decision to refuse it"),
    ("different", P, 21, P, 23, "agreement terms vs the implication (locks in demand, loosens exclusivity); same agreement, different claims"),
    ("different", P, 23, A, 16, "both cite ROFR removal: implication for Microsoft vs recommendation to pitch VAST to OpenAI"),
    ("different", P, 55, P, 57, "OpenAI persistence: Azure Blob for Rockset platform vs Cosmos DB for conversations"),
    ("different", P, 97, P, 99, "Blob/Rockset vs Cosmos DB/conversations (second copy)"),
    ("different", P, 53, P, 93, "Adem Sefa: introduced a finance candidate vs his job title"),
    ("different", P, 53, P, 128, "fact vs 'Mentioned in' backlink record about the same intro: a backlink is not a claim to merge"),
    ("different", P, 51, P, 126, "Whale Iptic architecture fact vs 'Mentioned in' backlink to the 1:1 note"),
    ("different", P, 59, P, 132, "docx is about Azure integration vs 'Mentioned in' backlink to the access-request note"),
    ("different", P, 61, P, 134, "Microsoft is the party for MAI unified cache pricing vs 'Mentioned in' weekly-status backlink"),
    ("different", P, 75, P, 140, "AlphaSights listed Microsoft as topic vs 'Mentioned in' backlink to the AlphaSights request"),
    ("different", P, 31, P, 114, "Jay Parikh role + CES keynote Jan 6 vs backlink to CES NVIDIA coordination note (NVIDIA Live Jan 5)"),
    ("different", P, 33, P, 116, "Jeff: plan needed immediately vs 'Mentioned in' backlink to the escalation note"),
    ("different", P, 138, P, 162, "Recent Context event (escalated Q1 2026 deal risk) vs 'Mentioned in' backlink (adds January execution plan)"),
    ("different", P, 41, P, 120, "Peter Imming managed Jason Vallery vs Peter Imming introduced Sebastien Berube to Jason"),
    ("different", P, 83, P, 146, "Peter Imming managed Jason vs introduces Sebastien Berube (AWS) for coffee"),
    ("different", P, 57, P, 130, "Cosmos DB use vs backlink about OpenAI data infra org"),
    ("different", P, 65, P, 67, "Jeff on supply chain: allocation/bad position vs HDDs for April delivery"),
    ("different", P, 65, P, 103, "bad supply chain position vs 2EB need + order early due to supply constraints"),
    ("different", P, 69, P, 103, "partial: both say order hardware early, but for different reasons (GPU utilization/software choice vs supply chain) and 103 adds the 2EB need"),
    ("different", P, 33, P, 39, "Jeff on MAI: plan immediately (nothing reserved) vs asked whether VAST tracks requirements with Ops"),
    ("different", P, 35, P, 37, "Lior/Kushal: MAI timeline vs who decides storage"),
    ("different", P, 71, P, 73, "Jonsi Stephenson: met Aung/Maneesh (proposal expected) vs emails got out-of-office replies"),
    ("different", P, 71, J, 33, "Microsoft contacts expect a Blob integration proposal vs decision to draft the integration without waiting for a PO"),
    ("different", P, 234, J, 33, "topic proposal requested vs decision to proceed without PO"),
    ("different", J, 27, J, 33, "review integration doc with Jeff on Friday vs proceed with drafting the approach"),
    ("different", J, 26, J, 28, "send deck before the Ong/Manish meetings vs text Jason after the meeting"),
    ("different", J, 26, J, 41, "task to send comparison deck vs what the comparison slide claims"),
    ("different", J, 41, P, 188, "comparison slide figures vs topic on sales collateral (incl. comparison slide)"),
    ("different", J, 40, P, 67, "partial: both mention HDDs; 004 is flash/QLC constraints and JIT purchasing, Jeff's is first April delivery"),
    ("different", J, 40, P, 105, "partial: supply-chain risk framing differs (flash/JIT rumors vs allocation + April HDD delivery)"),
    ("different", J, 29, J, 40, "task to send supply-chain notes vs the supply-chain fact"),
    ("different", J, 37, P, 81, "MAI already runs VAST in production vs Microsoft (Trevor's engineering PoC) not yet a customer for that effort: different efforts, not a conflict"),
    ("different", J, 42, P, 37, "MAI capacity is Mustafa Suleyman's decision vs Kushal says MAI decides storage: compatible, different claims"),
    ("different", J, 39, P, 35, "partial: both say the MAI timeline slipped from January; 004 gives POC Jan/decision Mar/go-live May, 002 gives GPU drop Feb/storage May-June"),
    ("different", J, 52, P, 27, "topic on neocloud risk + GPU lifecycle economics vs SemiAnalysis GPU-life claim"),
    ("different", J, 51, A, 35, "neoclouds/NCPs control-plane opportunity vs lean into neocloud co-sells"),
    ("different", J, 32, J, 33, "positioning decision vs decision to draft integration without a PO"),
    ("different", P, 19, A, 37, "accelerator dependencies vs pitch accelerator-proof storage across the mix"),
    ("different", P, 15, A, 35, "capacity sourcing incl. neoclouds vs recommendation to co-sell with neoclouds"),
    ("different", P, 17, A, 39, "token factory thesis vs 'Token Plane for Azure Foundry' offer"),
    ("different", P, 27, A, 26, "GPU life/continual data growth (checkpoints) vs sell VAST as checkpoint/restore backbone"),
    ("different", P, 29, A, 16, "two-sided sell: pitch to Microsoft vs pitch to OpenAI"),
    ("different", A, 14, A, 16, "two-sided sell: to Microsoft vs to OpenAI"),
    ("different", P, 29, M, 30, "partial: 001 bundles fastest-route (without the details) with data fabric and Foundry data plane"),
    ("different", A, 14, M, 30, "partial: M30 compresses A14, A16 and A28 into one bullet"),
    ("different", A, 16, M, 30, "partial: M30 has the data-fabric part, not the ROFR/multi-provider reasoning"),
    ("different", A, 28, M, 30, "partial: M30 has the Foundry data plane items, not the region placement"),
    ("different", A, 35, M, 31, "partial: M31 compresses A35, A37, A39"),
    ("different", A, 37, M, 31, "partial: accelerator-proof pitch is one of three items in M31"),
    ("different", A, 39, M, 31, "partial: Token Plane offer is one of three items in M31"),
    ("different", P, 25, M, 29, "partial: shared post-training clause; 002 adds fleet fungible, 001 adds GPU life"),
    ("different", P, 49, P, 124, "the presentation itself vs what happened after it (2025-12-19); presentation only in a temporal clause"),
    ("different", P, 214, P, 252, "topic presentation vs topic follow-up from the presentation"),
    ("different", P, 194, P, 216, "sharing architecture docs from San Francisco vs sharing roadshow slides/code"),
    ("different", P, 220, P, 222, "demo plan vs engineering status owner for Global Namespace"),
    ("different", P, 262, P, 264, "GTM agenda vs Marketplace onboarding blockers (both inside 226)"),
    ("different", P, 232, P, 236, "on-site Redmond commercial engagement vs Redmond engineering workshop"),
    ("different", P, 118, P, 277, "Kristin's access request vs decision to keep it pending"),
    ("different", P, 256, P, 281, "pipeline topic vs decision on when to schedule the Tiffany/Mohamad sync"),
    ("different", P, 182, P, 184, "Azure networking/egress topic vs Azure GA/Lifter topic"),
    ("different", P, 228, P, 230, "MAI Q1 deal risk vs supply-chain constraints impacting MAI timelines"),
    ("different", P, 33, P, 285, "Jeff: plan immediately vs treat CoreWeave testing as cosmetic / January first order"),
    ("conflict", J, 43, P, 21, "OpenAI's Azure exclusivity removed vs Azure API exclusivity continues: polarity conflict, never merge"),
    ("conflict", J, 43, S, 21, "exclusivity removed vs continues (sync-conflict copy)"),
    ("conflict", J, 43, M, 28, "exclusivity removed vs continues (001)"),
    ("conflict", P, 63, P, 33, "MAI deployment timing: 2EB on the floor in 2025 vs deploy April-June 2026"),
    ("conflict", P, 103, P, 33, "MAI deployment timing: 2025 vs April-June 2026"),
]


def load(path):
  with open(os.path.join(VAULT, path), encoding="utf-8") as f:
    return f.read().split("\n")


def main():
  cache = {}

  def text(path, line):
    if path not in cache:
      cache[path] = load(path)
    return cache[path][line - 1]

  def pair_kind(a, b, default):
    ta, tb = text(a[0], a[1]), text(b[0], b[1])
    if ta == tb:
      return "exact"
    if ta.endswith("...") or tb.endswith("..."):
      return "truncated"
    if ("\u00e2\u20ac" in ta) != ("\u00e2\u20ac" in tb):
      return "mojibake"
    return default

  rows = []
  groups = {}
  for name, desc, members in GROUPS:
    norm = [(m[0], m[1], len(m) > 2 and m[2] == "sub") for m in members]
    groups[name] = (desc, norm)
    for i in range(len(norm)):
      for j in range(i + 1, len(norm)):
        a, b = norm[i], norm[j]
        default = "subsumed" if a[2] != b[2] else "paraphrase"
        kind = pair_kind(a, b, default)
        if default == "subsumed" and b[2]:
          a, b = b, a  # subsumed rows list the contained (shorter) fact first
        rows.append(("1", a[0], a[1], b[0], b[1], kind, "same claim [%s]: %s" % (name, desc)))
  for small, big, comment in SUBSUMED:
    for a in groups[small][1]:
      for b in groups[big][1]:
        kind = "exact" if text(a[0], a[1]) == text(b[0], b[1]) else "subsumed"
        rows.append(("1", a[0], a[1], b[0], b[1], kind,
                     "subsumed [%s in %s]: %s" % (small, big, comment)))
  for kind, p1, l1, p2, l2, comment in NEGATIVES:
    rows.append(("0", p1, l1, p2, l2, kind, comment))
  out = os.path.join(HERE, "dedup_pairs.tsv")
  with open(out, "w", encoding="utf-8", newline="\n") as f:
    f.write("label\tpath1\tline1\tpath2\tline2\tkind\tcomment\n")
    for r in rows:
      assert all("\t" not in str(x) and "\n" not in str(x) for x in r)
      f.write("\t".join(str(x) for x in r) + "\n")
  print("wrote %d rows to %s" % (len(rows), out))


if __name__ == "__main__":
  main()
