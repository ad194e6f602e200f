"""Shape predicates generated from graphddb_runtime/schemas/*.schema.json.

Do not edit: run ``python -m graphddb_runtime.spec._fastcheck`` after changing a schema.
A test fails when this file is stale.
"""

# ruff: noqa
from __future__ import annotations

from typing import Any

__all__ = ['manifest', 'operations']

_MISSING = object()


def _json_in(value: Any, options: tuple[Any, ...]) -> bool:
    """JSON equality membership: booleans never equal numbers."""
    for option in options:
        if isinstance(value, bool) or isinstance(option, bool):
            if isinstance(value, bool) and isinstance(option, bool) and value == option:
                return True
        elif value == option:
            return True
    return False


_MANIFEST_C0 = frozenset({'1.0', '1.1', '1.2'})


_OPERATIONS_C0 = frozenset({'many', 'one'})


_OPERATIONS_C1 = frozenset({'DeleteItem', 'PutItem', 'UpdateItem'})


_OPERATIONS_C2 = frozenset({'attributeExists', 'attributeNotExists', 'equals', 'expr', 'notExists', 'raw'})


_OPERATIONS_C3 = frozenset({'ConditionCheck', 'Delete', 'Put', 'Update'})


_OPERATIONS_C4 = frozenset({'command', 'query'})


_OPERATIONS_C5 = frozenset({'query'})


_OPERATIONS_C6 = frozenset({'point', 'range'})


_OPERATIONS_C7 = frozenset({'either', 'single'})


_OPERATIONS_C8 = frozenset({'1.0', '1.1', '1.2'})


def manifest(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    p1 = v.get('entities', _MISSING)
    if p1 is not _MISSING:
        if not isinstance(p1, dict):
            return False
        for k2, a3 in p1.items():
            if not _manifest_EntityMeta(a3):
                return False
    p27 = v.get('tables', _MISSING)
    if p27 is not _MISSING:
        if not isinstance(p27, dict):
            return False
    p28 = v.get('description', _MISSING)
    if p28 is not _MISSING:
        if not _manifest_Info(p28):
            return False
    p29 = v.get('version', _MISSING)
    if p29 is not _MISSING:
        if not (isinstance(p29, str) and p29 in _MANIFEST_C0):
            return False
    return True


def _manifest_EntityMeta(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    if not ('table' in v):
        return False
    p4 = v.get('table', _MISSING)
    if p4 is not _MISSING:
        if not isinstance(p4, str):
            return False
        if len(p4) < 1:
            return False
    p5 = v.get('key', _MISSING)
    if p5 is not _MISSING:
        if not _manifest_KeyMeta(p5):
            return False
    p9 = v.get('gsis', _MISSING)
    if p9 is not _MISSING:
        if not isinstance(p9, list):
            return False
        for i10 in p9:
            if not _manifest_GsiMeta(i10):
                return False
    p17 = v.get('fields', _MISSING)
    if p17 is not _MISSING:
        if not isinstance(p17, dict):
            return False
        for k18, a19 in p17.items():
            if not _manifest_FieldMeta(a19):
                return False
    p23 = v.get('physicalName', _MISSING)
    if p23 is not _MISSING:
        if not _manifest_Info(p23):
            return False
    p24 = v.get('ttlAttribute', _MISSING)
    if p24 is not _MISSING:
        if not _manifest_Info(p24):
            return False
    p25 = v.get('name', _MISSING)
    if p25 is not _MISSING:
        if not _manifest_Info(p25):
            return False
    p26 = v.get('description', _MISSING)
    if p26 is not _MISSING:
        if not _manifest_Info(p26):
            return False
    return True


def _manifest_KeyMeta(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    if not ('pkTemplate' in v):
        return False
    p6 = v.get('pkTemplate', _MISSING)
    if p6 is not _MISSING:
        if not isinstance(p6, str):
            return False
        if len(p6) < 1:
            return False
    p7 = v.get('skTemplate', _MISSING)
    if p7 is not _MISSING:
        if not (isinstance(p7, str) or p7 is None):
            return False
    p8 = v.get('description', _MISSING)
    if p8 is not _MISSING:
        if not _manifest_Info(p8):
            return False
    return True


def _manifest_Info(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    return True


def _manifest_GsiMeta(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    if not ('indexName' in v):
        return False
    p11 = v.get('indexName', _MISSING)
    if p11 is not _MISSING:
        if not isinstance(p11, str):
            return False
        if len(p11) < 1:
            return False
    p12 = v.get('pkTemplate', _MISSING)
    if p12 is not _MISSING:
        if not (isinstance(p12, str) or p12 is None):
            return False
    p13 = v.get('skTemplate', _MISSING)
    if p13 is not _MISSING:
        if not (isinstance(p13, str) or p13 is None):
            return False
    p14 = v.get('inputFields', _MISSING)
    if p14 is not _MISSING:
        if not isinstance(p14, list):
            return False
        for i15 in p14:
            if not isinstance(i15, str):
                return False
    p16 = v.get('description', _MISSING)
    if p16 is not _MISSING:
        if not _manifest_Info(p16):
            return False
    return True


def _manifest_FieldMeta(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    p20 = v.get('type', _MISSING)
    if p20 is not _MISSING:
        if not isinstance(p20, str):
            return False
    p21 = v.get('format', _MISSING)
    if p21 is not _MISSING:
        if not isinstance(p21, str):
            return False
    p22 = v.get('description', _MISSING)
    if p22 is not _MISSING:
        if not _manifest_Info(p22):
            return False
    return True


def operations(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    p1 = v.get('queries', _MISSING)
    if p1 is not _MISSING:
        if not isinstance(p1, dict):
            return False
        for k2, a3 in p1.items():
            if not _operations_QuerySpec(a3):
                return False
    p21 = v.get('commands', _MISSING)
    if p21 is not _MISSING:
        if not isinstance(p21, dict):
            return False
        for k22, a23 in p21.items():
            if not _operations_CommandSpec(a23):
                return False
    p30 = v.get('transactions', _MISSING)
    if p30 is not _MISSING:
        if not isinstance(p30, dict):
            return False
        for k31, a32 in p30.items():
            if not _operations_TransactionSpec(a32):
                return False
    p41 = v.get('contracts', _MISSING)
    if p41 is not _MISSING:
        if not isinstance(p41, dict):
            return False
        for k42, a43 in p41.items():
            if not _operations_ContractSpec(a43):
                return False
    p56 = v.get('description', _MISSING)
    if p56 is not _MISSING:
        if not isinstance(p56, str):
            return False
    p57 = v.get('version', _MISSING)
    if p57 is not _MISSING:
        if not (isinstance(p57, str) and p57 in _OPERATIONS_C8):
            return False
    return True


def _operations_QuerySpec(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    if not ('operations' in v):
        return False
    p4 = v.get('params', _MISSING)
    if p4 is not _MISSING:
        if not _operations_ParamMap(p4):
            return False
    p13 = v.get('cardinality', _MISSING)
    if p13 is not _MISSING:
        if not (isinstance(p13, str) and p13 in _OPERATIONS_C0):
            return False
    p14 = v.get('operations', _MISSING)
    if p14 is not _MISSING:
        if not isinstance(p14, list):
            return False
        if len(p14) < 1:
            return False
        for i15 in p14:
            if not isinstance(i15, dict):
                return False
    p16 = v.get('executionPlan', _MISSING)
    if p16 is not _MISSING:
        if not isinstance(p16, dict):
            return False
        if not ('groups' in p16):
            return False
        p17 = p16.get('groups', _MISSING)
        if p17 is not _MISSING:
            if not isinstance(p17, list):
                return False
            for i18 in p17:
                if not isinstance(i18, list):
                    return False
                for i19 in i18:
                    if not (isinstance(i19, int) and not isinstance(i19, bool) or isinstance(i19, float) and i19.is_integer()):
                        return False
    p20 = v.get('description', _MISSING)
    if p20 is not _MISSING:
        if not _operations_Description(p20):
            return False
    return True


def _operations_ParamMap(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    for k5, a6 in v.items():
        if not _operations_ParamSpec(a6):
            return False
    return True


def _operations_ParamSpec(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    p7 = v.get('type', _MISSING)
    if p7 is not _MISSING:
        if not isinstance(p7, str):
            return False
    p8 = v.get('required', _MISSING)
    if p8 is not _MISSING:
        if not isinstance(p8, bool):
            return False
    p9 = v.get('element', _MISSING)
    if p9 is not _MISSING:
        if not isinstance(p9, dict):
            return False
        for k10, a11 in p9.items():
            if not _operations_ParamSpec(a11):
                return False
    p12 = v.get('description', _MISSING)
    if p12 is not _MISSING:
        if not _operations_Description(p12):
            return False
    return True


def _operations_Description(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    return True


def _operations_CommandSpec(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    if not ('type' in v):
        return False
    if not ('tableName' in v):
        return False
    p24 = v.get('type', _MISSING)
    if p24 is not _MISSING:
        if not (isinstance(p24, str) and p24 in _OPERATIONS_C1):
            return False
    p25 = v.get('tableName', _MISSING)
    if p25 is not _MISSING:
        if not isinstance(p25, str):
            return False
        if len(p25) < 1:
            return False
    p26 = v.get('params', _MISSING)
    if p26 is not _MISSING:
        if not _operations_ParamMap(p26):
            return False
    p27 = v.get('condition', _MISSING)
    if p27 is not _MISSING:
        if not _operations_ConditionSpec(p27):
            return False
    p29 = v.get('description', _MISSING)
    if p29 is not _MISSING:
        if not _operations_Description(p29):
            return False
    return True


def _operations_ConditionSpec(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    if not ('kind' in v):
        return False
    p28 = v.get('kind', _MISSING)
    if p28 is not _MISSING:
        if not (isinstance(p28, str) and p28 in _OPERATIONS_C2):
            return False
    return True


def _operations_TransactionSpec(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    if not ('items' in v):
        return False
    p33 = v.get('params', _MISSING)
    if p33 is not _MISSING:
        if not _operations_ParamMap(p33):
            return False
    p34 = v.get('items', _MISSING)
    if p34 is not _MISSING:
        if not isinstance(p34, list):
            return False
        for i35 in p34:
            if not _operations_TransactionItemSpec(i35):
                return False
    p40 = v.get('description', _MISSING)
    if p40 is not _MISSING:
        if not _operations_Description(p40):
            return False
    return True


def _operations_TransactionItemSpec(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    if not ('type' in v):
        return False
    if not ('tableName' in v):
        return False
    p36 = v.get('type', _MISSING)
    if p36 is not _MISSING:
        if not (isinstance(p36, str) and p36 in _OPERATIONS_C3):
            return False
    p37 = v.get('tableName', _MISSING)
    if p37 is not _MISSING:
        if not isinstance(p37, str):
            return False
        if len(p37) < 1:
            return False
    p38 = v.get('condition', _MISSING)
    if p38 is not _MISSING:
        if not _operations_ConditionSpec(p38):
            return False
    p39 = v.get('description', _MISSING)
    if p39 is not _MISSING:
        if not _operations_Description(p39):
            return False
    return True


def _operations_ContractSpec(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    if not ('kind' in v and 'methods' in v):
        return False
    p44 = v.get('kind', _MISSING)
    if p44 is not _MISSING:
        if not (isinstance(p44, str) and p44 in _OPERATIONS_C4):
            return False
    p45 = v.get('methods', _MISSING)
    if p45 is not _MISSING:
        if not isinstance(p45, dict):
            return False
        for k46, a47 in p45.items():
            if not isinstance(a47, dict):
                return False
    p48 = v.get('description', _MISSING)
    if p48 is not _MISSING:
        if not _operations_Description(p48):
            return False
    if _operations_f10(v):
        p50 = v.get('methods', _MISSING)
        if p50 is not _MISSING:
            if isinstance(p50, dict):
                for k51, a52 in p50.items():
                    if not _operations_QueryMethodSpec(a52):
                        return False
    return True


def _operations_f10(v: Any) -> bool:
    if isinstance(v, dict) and not ('kind' in v):
        return False
    if isinstance(v, dict):
        p49 = v.get('kind', _MISSING)
        if p49 is not _MISSING:
            if not (isinstance(p49, str) and p49 in _OPERATIONS_C5):
                return False
    return True


def _operations_QueryMethodSpec(v: Any) -> bool:
    if not isinstance(v, dict):
        return False
    if not ('resolution' in v):
        return False
    p53 = v.get('resolution', _MISSING)
    if p53 is not _MISSING:
        if not (isinstance(p53, str) and p53 in _OPERATIONS_C6):
            return False
    p54 = v.get('inputArity', _MISSING)
    if p54 is not _MISSING:
        if not (isinstance(p54, str) and p54 in _OPERATIONS_C7):
            return False
    p55 = v.get('description', _MISSING)
    if p55 is not _MISSING:
        if not _operations_Description(p55):
            return False
    return True
