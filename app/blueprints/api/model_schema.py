"""Response schemas generated from the models (marshmallow-sqlalchemy), so columns are said once."""
import sqlalchemy as sa
from marshmallow import fields
from marshmallow_sqlalchemy import ModelConverter, SQLAlchemyAutoSchema

from app.blueprints.api.fields import Rounded
from app.models import UTCDateTime


class ApiModelConverter(ModelConverter):
    """Columns as the API shows them: numbers rounded to 2 decimals, times with their zone."""

    SQLA_TYPE_MAPPING = {**ModelConverter.SQLA_TYPE_MAPPING, sa.Float: Rounded,
                         UTCDateTime: fields.AwareDateTime}

    def _add_column_kwargs(self, kwargs: dict, column: sa.Column) -> None:
        """None where the column allows it, and the schema's example; nothing else.

        These schemas only dump: the load-time rules marshmallow-sqlalchemy would add (required,
        maximum lengths) do not apply to answers and would wrongly show in the OpenAPI document."""
        if column.nullable:
            kwargs["allow_none"] = True
        example = getattr(self.schema_cls, "EXAMPLES", {}).get(column.key)
        if example is not None:
            kwargs["metadata"]["example"] = example


class ModelSchema(SQLAlchemyAutoSchema):
    """A response schema with a field per column of Meta.model; EXAMPLES gives columns examples."""

    EXAMPLES: dict = {}

    class Meta:
        model_converter = ApiModelConverter
        include_fk = True


def in_model_order(schema_cls: type[ModelSchema], **after: str) -> None:
    """List the column fields first, then the added ones (marshmallow-sqlalchemy puts added fields
    first), each added field named in `after` right after the field given: the OpenAPI document
    lists properties in this order."""
    declared = schema_cls._declared_fields
    model_keys = {prop.key for prop in sa.inspect(schema_cls.Meta.model).attrs}
    names = [name for name in declared if name in model_keys]
    names += [name for name in declared if name not in model_keys and name not in after]
    for name, previous in after.items():
        names.insert(names.index(previous) + 1, name)
    schema_cls._declared_fields = {name: declared[name] for name in names}
