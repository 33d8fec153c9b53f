"""Sentinel strings planted in each part of a situation by the visibility tests."""

# Sentinels: lower-case nonsense words the de-identification guard lets through.
S = {
    "factor": "qqfactorqq",  # the name of a risk factor only this situation has (summary)
    "narrative": "qqnarrativeqq",
    "reason": "qqreasonqq",  # F2 reason (decisions)
    "conclusion": "qqconclusionqq",  # conclusion note (decisions)
    "plan": "qqplanqq",  # F4 plan text (f4_detail)
    "task": "qqtaskqq",  # task text (f4_detail)
    "notes": "qqinterventionqq",  # intervention notes of a report back (f4_detail)
    "report": "qqreportbackqq",  # report-back summary (report_back)
    "given": "Qqgivenqq",  # identifying information
}
